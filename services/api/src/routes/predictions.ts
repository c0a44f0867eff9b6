/**
 * `POST /v1/ensembles/{name}/predictions`: checks the input against the
 * ensemble, stores it in Redis as binary, and queues a job. Answers 202 with
 * the job, or, with `Prefer: wait=N`, 200 with the result if it is ready in
 * time. An `Idempotency-Key` makes a retried submission return the same job.
 */
import { randomUUID } from 'node:crypto';
import { checkInput, float32Tensor, writeSafetensors } from '@ensembles/core';
import { PREDICTION_QUEUE, type PredictionJobData, predictionOptionsSchema } from '@ensembles/jobs';
import { Job } from 'bullmq';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { HttpError } from '../http-errors.js';
import { jobView, jobViewSchema } from '../job-view.js';
import { tensorFromJson, tensorJsonSchema } from '../tensor-json.js';

const predictionBodySchema = predictionOptionsSchema.extend({ input: tensorJsonSchema });

/** `Prefer: wait=5` → 5 (seconds), capped; no header → 0. */
function preferredWait(header: string | undefined, max: number): number {
  const match = header?.match(/(?:^|[,;\s])wait=(\d+)/);
  return match ? Math.min(Number(match[1]), max) : 0;
}

export function predictionRoutes(context: AppContext): FastifyPluginAsyncZod {
  const { redis, keys, queue, config } = context;

  return async (app) => {
    app.post(
      '/v1/ensembles/:name/predictions',
      {
        schema: {
          params: z.object({ name: z.string().min(1).max(200) }),
          headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional(), prefer: z.string().optional() }).passthrough(),
          body: predictionBodySchema,
          response: { 200: jobViewSchema, 202: jobViewSchema },
        },
      },
      async (request, reply) => {
        const { input: inputJson, ...options } = request.body;
        const ensemble = await context.registry.resolve(request.tenant, request.params.name);
        const input = tensorFromJson(inputJson, 'input');
        checkInput(ensemble.architecture, input, options.mode);
        const { members } = ensemble.architecture.manifest;
        if (options.combine === 'weighted' && options.weights?.length !== members) {
          throw new HttpError(
            400,
            'COMBINE_INVALID',
            `weighted combine needs ${members} weights (one per member), got ${options.weights?.length ?? 0}`,
          );
        }
        if (options.combine !== 'weighted' && options.weights)
          throw new HttpError(400, 'COMBINE_INVALID', 'weights apply only to combine "weighted"');

        const ttl = config.RESULT_TTL_SECONDS;
        let id: string = randomUUID();
        const idempotencyKey = request.headers['idempotency-key'];
        if (idempotencyKey) {
          // The first submission with this key claims it; retries get its job back.
          const claimed = await redis.set(keys.idempotency(request.tenant, idempotencyKey), id, 'EX', ttl, 'NX');
          if (claimed === null) id = (await redis.get(keys.idempotency(request.tenant, idempotencyKey))) ?? id;
        }
        let job = (await Job.fromId(queue, id)) as Job<PredictionJobData> | undefined;
        if (!job) {
          await redis.set(keys.jobInput(id), Buffer.from(writeSafetensors([float32Tensor('input', input.shape, input.data)])), 'EX', ttl);
          const data: PredictionJobData = {
            tenant: request.tenant,
            ensemble: ensemble.name,
            version: ensemble.version,
            options,
            inputShape: [...input.shape],
            submittedAt: Date.now(),
          };
          job = (await queue.add(PREDICTION_QUEUE, data, {
            jobId: id,
            attempts: config.JOB_ATTEMPTS,
            backoff: { type: 'exponential', delay: 200 },
            removeOnComplete: { age: ttl },
            removeOnFail: { age: ttl },
            ...(options.priority ? { priority: options.priority } : {}),
          })) as Job<PredictionJobData>;
        }

        const wait = preferredWait(request.headers.prefer, config.MAX_WAIT_SECONDS);
        if (wait > 0) {
          try {
            await job.waitUntilFinished(context.queueEvents, wait * 1000);
          } catch {
            // failed, or not ready in time: the job view says which
          }
        }
        const view = await jobView(context, ((await Job.fromId(queue, id)) ?? job) as Job<PredictionJobData>);
        if (wait > 0 && (view.status === 'completed' || view.status === 'failed')) return reply.status(200).send(view);
        return reply.status(202).header('location', view.url).send(view);
      },
    );
  };
}
