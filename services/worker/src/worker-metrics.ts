/**
 * The worker's Prometheus metrics: the timings of the jobs it ran, counted
 * once, by the worker that ran them (not by every API process). Served at
 * `/metrics` on `METRICS_PORT` when set; a process running API and worker
 * together (`npm start`) serves them on the API's `/metrics` instead.
 */
import { createServer, type Server } from 'node:http';
import type { PredictionJobData, PredictionJobResult } from '@ensembles/jobs';
import { Counter, Histogram, Registry } from 'prom-client';

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly finished = new Counter({
    name: 'jobs_finished_total',
    help: 'Prediction jobs this worker finished, by outcome (failed: for good, after its attempts)',
    labelNames: ['ensemble', 'status'],
    registers: [this.registry],
  });
  private readonly queueTime = this.histogram(
    'job_queue_seconds',
    'Submission to completion, less compute',
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  );
  private readonly computeTime = this.histogram(
    'job_compute_seconds',
    'Forward pass a job ran in',
    [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  );
  private readonly batchRows = this.histogram(
    'job_batch_rows',
    'Rows in the forward pass a job ran in',
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  );
  private readonly jobsPerPass = this.histogram('job_batch_jobs', 'Jobs sharing the forward pass a job ran in', [1, 2, 4, 8, 16, 32, 64]);

  completed(data: PredictionJobData, result: PredictionJobResult): void {
    const labels = { ensemble: data.ensemble };
    this.finished.inc({ ...labels, status: 'completed' });
    this.computeTime.observe(labels, result.computeMs / 1e3);
    this.queueTime.observe(labels, Math.max(0, result.completedAt - data.submittedAt - result.computeMs) / 1e3);
    this.batchRows.observe(labels, result.batchRows);
    this.jobsPerPass.observe(labels, result.batchJobs);
  }

  failed(data: PredictionJobData | undefined): void {
    this.finished.inc({ ensemble: data?.ensemble ?? 'unknown', status: 'failed' });
  }

  /** A histogram of this worker's jobs, by ensemble. */
  private histogram(name: string, help: string, buckets: number[]): Histogram {
    return new Histogram({ name, help, labelNames: ['ensemble'], buckets, registers: [this.registry] });
  }

  /** Serves `/metrics` on `port` (0: a free one); resolves with the server once it listens. */
  async serve(port: number, host: string): Promise<Server> {
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
