/** Anexo IV's contact-loss procedure: the front door for the dialer and the composition root. */
export { contactLossRoutes, type ContactLossRoutesOptions } from './contact-loss.routes.ts';
export { contactLossService, SYSTEM_ACTOR, type ContactLossService } from './contact-loss.service.ts';
export { DEFAULT_CONFIG, type ContactLossConfig } from './machine.ts';
