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

/** The agent's servers, by the config section that sets their host and port. */
export type AgentServer = 'metrics' | 'dialplan';

/**
 * One of the agent's servers could not listen: `server` says which, for a hint naming its
 * settings (both may be on one host, so the address alone cannot tell); `cause` is Node's error.
 */
export class ListenError extends AgentError {
  readonly server: AgentServer;
  constructor(server: AgentServer, message: string, options: { cause: unknown }) {
    super(AgentErrorCode.START, message, options);
    this.server = server;
  }
}

/** `err` and its causes, outermost first, each once (a cycle ends the walk): what a start failure is read from. */
export function causeChain(err: unknown): Array<Error & NodeJS.ErrnoException> {
  const chain: Array<Error & NodeJS.ErrnoException> = [];
  for (let e: unknown = err; e instanceof Error && !chain.includes(e); e = e.cause) chain.push(e);
  return chain;
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
