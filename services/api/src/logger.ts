/**
 * The API's logger: JSON lines (pino) at `LOG_LEVEL`. Requests are logged by
 * method, URL and status, never by their bodies; the `Authorization` header
 * is redacted wherever a log line carries headers (the multipart parser logs
 * every header at trace level), so that API keys stay out of the logs.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { ApiConfig } from './api-config.js';

/** `destination`: where the lines go (stdout by default; a test reads them). */
export function createLogger(config: Pick<ApiConfig, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.LOG_LEVEL,
    base: { service: 'api' },
    redact: ['headers.authorization', '*.headers.authorization', '*.*.headers.authorization'],
  };
  return destination ? pino(options, destination) : pino(options);
}
