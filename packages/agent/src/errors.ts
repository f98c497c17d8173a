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

/**
 * An error's message and its causes' (pino's err serializer appends each cause's message to the
 * error's), each said once: fsbus errors already quote their cause's message in their own.
 */
export function messageWithCausesOnce(err: Error): string {
  let text = err.message;
  const seen = new Set<unknown>([err]);
  for (let e: unknown = err.cause; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e.message !== '' && !text.includes(e.message)) text += `: ${e.message}`;
  }
  return text;
}
