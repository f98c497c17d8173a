/**
 * `@fsbus/agent/env`: the unknown-variable check alone, without the agent (its schema, logger,
 * drivers): the fsbus CLI runs it before every command.
 */
export { knownEnvNames, unknownEnv } from './config/unknown-env.js';
export type { UnknownEnv } from './config/unknown-env.js';
