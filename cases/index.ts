/** The case domain's front door for other folders. */
export { sealedFields, type SealedLocation } from './sealed.ts';
export { readFicha } from './ficha.ts';
export { casesRoutes } from './cases.routes.ts';
export { importRoutes } from './import.routes.ts';
export { applyBaja } from './updates.ts';
