/** Location: where her terminal says she is. Sealed at rest, every read audited, kept only for the retention. */
export { locationService, type LocationDeps, type LocationService } from './location.service.ts';
export { locationRoutes, type LocationRoutesOptions } from './location.routes.ts';
export { isValidPosition, openPosition, sealPosition, MAX_ACCURACY_M, type Position, type PositionSource, type PositionView } from './position.ts';
