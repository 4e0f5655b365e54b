/** The operator console's front door: its static pages, served by the app, and what the coordinator's screen reads. */
export { consoleStaticRoutes, CONSOLE_PREFIX } from './console.routes.ts';
export { coordinationRoutes, type CoordinationRoutesOptions } from './coordination.routes.ts';
