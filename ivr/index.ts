/** The IVR: flows as data, the engine that runs them, and sessions shared by every app instance. */
export { allPrompts, allPromptsOf, flowOf, loadFlows, type FlowCatalog, type FlowOptions } from './catalog.ts';
export { advance, EMERGENCY_OUTCOME, start, type Input, type Instruction, type Prompt, type Result, type Session } from './engine.ts';
export { DEFAULT_EMERGENCY_KEY, validateFlow, type Flow, type OperatorLine, type Step } from './flow.ts';
export { sessionTokens, type SessionRef, type SessionTokens } from './session-token.ts';
export { ivrSessions, type Advanced, type Direction, type IvrSessions, type StoredSession, type Turn } from './sessions.ts';
