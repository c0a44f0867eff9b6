/**
 * The Fastify application, built from its context so that tests can run it
 * in-process (`app.inject`) against a private Redis.
 */
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { AppContext } from './app-context.js';
import { installAuthentication } from './authentication.js';
import { installErrorHandler, sendError } from './http-errors.js';
import { installMetrics } from './metrics.js';
import { installQueueDashboard } from './queue-dashboard.js';
import { installRateLimit } from './rate-limit.js';
import { ensembleRoutes } from './routes/ensembles.js';
import { healthRoutes } from './routes/health.js';
import { jobEventRoutes } from './routes/job-events.js';
import { jobRoutes } from './routes/jobs.js';
import { openInferenceRoutes } from './routes/open-inference.js';
import { predictionRoutes } from './routes/predictions.js';
import { workerRoutes } from './routes/workers.js';

export interface BuildAppOptions {
  readonly logger?: FastifyBaseLogger;
  /** Metrics served on `/metrics` besides the API's own (a worker's, when it runs in this process). */
  readonly metrics?: readonly Registry[];
}

export async function buildApp(context: AppContext, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: context.config.MAX_BODY_BYTES,
    // Path parameters (`name@version`, job ids) are checked by their schemas, which name the problem;
    // the router only stops the absurd (414), answered like every other error.
    routerOptions: { maxParamLength: 1000 },
    frameworkErrors: sendError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installAuthentication(app, context.config.API_KEYS);
  installRateLimit(app, context);
  installMetrics(app, context, options.metrics);
  await app.register(multipart, { limits: { fileSize: context.config.MAX_UPLOAD_BYTES, files: 4096 } });
  // The OpenAPI document is generated from the routes' zod schemas.
  await app.register(swagger, {
    openapi: {
      info: { title: 'deep-ensembles', description: 'Deep ensembles served as one vectorized forward pass.', version: '0.1.0' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes(context));
  await app.register(ensembleRoutes(context));
  await app.register(predictionRoutes(context));
  await app.register(jobRoutes(context));
  await app.register(jobEventRoutes(context));
  await app.register(workerRoutes(context));
  await app.register(openInferenceRoutes(context));
  await installQueueDashboard(app, context);
  return app;
}
