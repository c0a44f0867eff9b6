import { describe, expect, it } from 'vitest';
import { type CompletedJob, encodeCompletionNotice, NOTICE_MAX_CHARS, parseCompletionNotice } from './completion-notice.js';

const id = '0b7c3f52-58a5-4c3e-9d0f-4b1f0c7e2a11';
const completed = (inlineResult: string): CompletedJob => ({
  id,
  timestamp: 1,
  processedOn: 2,
  finishedOn: 3,
  returnvalue: {
    version: 'a'.repeat(64),
    tensors: { members: [2, 1, 3] },
    computeMs: 0.1,
    batchJobs: 1,
    batchRows: 1,
    worker: 'host:1',
    completedAt: 3,
    inlineResult,
  },
});

describe('completion notices', () => {
  it('round-trip both outcomes', () => {
    for (const status of ['completed', 'failed'] as const) {
      expect(parseCompletionNotice(encodeCompletionNotice({ id, status }))).toEqual({ id, status });
    }
  });

  it('carry a small completed job, and name a large one only', () => {
    const small = { id, status: 'completed', job: completed('AAAA') } as const;
    expect(parseCompletionNotice(encodeCompletionNotice(small))).toEqual(small);
    const large = { id, status: 'completed', job: completed('A'.repeat(NOTICE_MAX_CHARS)) } as const;
    expect(parseCompletionNotice(encodeCompletionNotice(large))).toEqual({ id, status: 'completed' });
  });

  it('ignore messages that are no notice', () => {
    for (const message of ['', 'c:', 'x:abc', 'completed', 'f', 'j:{', 'j:{"id":"a"}'])
      expect(parseCompletionNotice(message)).toBeUndefined();
  });
});
