/** Prompt files for the SIP media path: synthesised from the flows' texts, replaceable by recordings. */
export { promptLibrary, textHash, type EnsureReport, type PromptDirs, type PromptLibrary, type PromptText } from './library.ts';
