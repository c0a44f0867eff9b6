import type { AddressInfo } from 'node:net';
import type { PredictionJobData, PredictionJobResult } from '@ensembles/jobs';
import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from './worker-metrics.js';

const data: PredictionJobData = {
  tenant: 't',
  ensemble: 'mnist',
  version: 'a'.repeat(64),
  options: { mode: 'shared', combine: 'none', uncertainty: false },
  inputShape: [1, 3],
  submittedAt: 1_000,
};
const result: PredictionJobResult = {
  version: 'a'.repeat(64),
  tensors: {},
  computeMs: 2,
  batchJobs: 3,
  batchRows: 4,
  worker: 'w',
  completedAt: 1_010,
};

describe('WorkerMetrics', () => {
  it('counts each job it is told of, by ensemble and outcome, and serves them to a Prometheus scrape', async () => {
    const metrics = new WorkerMetrics();
    metrics.completed(data, result);
    metrics.completed(data, result);
    metrics.failed(data);
    const server = await metrics.serve(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const scrape = await fetch(`${base}/metrics`);
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(text).toContain('jobs_finished_total{ensemble="mnist",status="completed"} 2');
      expect(text).toContain('jobs_finished_total{ensemble="mnist",status="failed"} 1');
      expect(text).toContain('job_compute_seconds_sum{ensemble="mnist"} 0.004');
      // Queue time: submission to completion less compute, 10 - 2 ms.
      expect(text).toContain('job_queue_seconds_sum{ensemble="mnist"} 0.016');
      expect(text).toContain('job_batch_jobs_bucket{le="4",ensemble="mnist"} 2');
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
