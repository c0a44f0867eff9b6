/** The API, for embedding (tests, a single-process run). */
export { type ApiConfig, apiConfigSchema, parseApiConfig } from './api-config.js';
export { buildApp } from './app.js';
export { type AppContext, DEFAULT_TENANT } from './app-context.js';
export { openAppContext } from './open-app-context.js';
