export { createApp, type AppOptions } from './app.js';
export { createHttpServer, type ServerDeadlines } from './server.js';
export type { ApiContext } from './context.js';
export { routes } from './routes/index.js';
export type { Route } from './route.js';
export type { paths, components } from './schema.js';
export { securityConfigFromEnv, type SecurityConfig } from './security.js';
