import { FsbusError } from '@fsbus/esl';

export const AgentErrorCode = {
  /** The configuration (file or env) is invalid; the message names the field. */
  CONFIG: 'FSBUS_ERR_AGENT_CONFIG',
  /** The agent could not start (broker unreachable, port in use, stream setup refused). */
  START: 'FSBUS_ERR_AGENT_START',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

export class AgentError extends FsbusError {
  declare readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class ConfigError extends AgentError {
  /** Dotted path of the offending field, e.g. `esl.port` or `FSBUS_ESL_PORT`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(AgentErrorCode.CONFIG, `invalid config: ${field}: ${message}`);
    this.field = field;
  }
}
