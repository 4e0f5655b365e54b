/** The operator console's front door: its static pages, served by the app. */
export { consoleStaticRoutes, CONSOLE_PREFIX } from './console.routes.ts';
