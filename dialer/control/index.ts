// Technical control's front door (§10.1 D): control calls, test calls, self-test supervision.
export { technicalControl, type TechnicalControl, type FlowOutcomeResult } from './control.service.ts';
export { onTerminalCall, type TerminalCall, type TerminalCallResult } from './terminal-calls.ts';
export { technicalRoutes } from './control.routes.ts';
export { technicalJobs, timeoutJobId, TECHNICAL_QUEUE, type TechnicalJobs } from './queue.ts';
export { DEFAULT_CONTROL_CONFIG, type ControlConfig } from './rules.ts';
export type { SupervisionReport } from './supervision.ts';
