import { describe, expect, it } from 'vitest';
import { encodeCompletionNotice, parseCompletionNotice } from './completion-notice.js';

describe('completion notices', () => {
  it('round-trip both outcomes', () => {
    for (const status of ['completed', 'failed'] as const) {
      const notice = { id: '0b7c3f52-58a5-4c3e-9d0f-4b1f0c7e2a11', status };
      expect(parseCompletionNotice(encodeCompletionNotice(notice))).toEqual(notice);
    }
  });

  it('ignore messages that are no notice', () => {
    for (const message of ['', 'c:', 'x:abc', 'completed', 'f']) expect(parseCompletionNotice(message)).toBeUndefined();
  });
});
