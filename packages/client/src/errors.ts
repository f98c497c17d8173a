/**
 * Errors of @fsbus/client. Two classes of the one FsbusError family: `ClientError` for what went
 * wrong on the way (timeout, no agent, disconnect, abort), `ReplyError` for an agent that answered
 * `success:false` — its `code` is the envelope's own `FSBUS_ERR_*` code.
 */
import { BusErrorCode, type ReplyEnvelope } from '@fsbus/contract';
import { FsbusError, type HangupCause } from '@fsbus/esl';
import { TransportError, TransportErrorCode } from '@fsbus/transport';

export const ClientErrorCode = {
  /** No broker of the list could be reached (or it refused the credentials). */
  CONNECT: 'FSBUS_ERR_CLIENT_CONNECT',
  /** No reply within the request's timeout (the agent may still execute the command). */
  TIMEOUT: 'FSBUS_ERR_CLIENT_TIMEOUT',
  /** Nobody serves the subject: no agent runs for this prefix (or this node). */
  NO_RESPONDERS: 'FSBUS_ERR_CLIENT_NO_RESPONDERS',
  /** The broker connection was lost while the request was pending, or is down now. */
  DISCONNECTED: 'FSBUS_ERR_CLIENT_DISCONNECTED',
  /** The client was closed. */
  CLOSED: 'FSBUS_ERR_CLIENT_CLOSED',
  /** The request was cancelled by its AbortSignal. */
  ABORTED: 'FSBUS_ERR_CLIENT_ABORTED',
  /** The reply is not an fsbus reply envelope. */
  BAD_REPLY: 'FSBUS_ERR_CLIENT_BAD_REPLY',
  /**
   * A message on an event subscription (or an execute_app forward_to subject) is not an fsbus
   * event payload: reported to `onMalformed` and counted in `stream.malformed`, the stream goes on.
   */
  BAD_EVENT: 'FSBUS_ERR_CLIENT_BAD_EVENT',
  /** A method was called with an argument it cannot send (checked before anything is sent). */
  INVALID_ARGUMENT: 'FSBUS_ERR_CLIENT_INVALID_ARGUMENT',
  /**
   * The event stream cannot be read (durable/from): no such stream, a durable name already used
   * with another pattern, or the broker refused the consumer. The connection is fine.
   */
  STREAM: 'FSBUS_ERR_CLIENT_STREAM',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ClientError extends FsbusError {
  declare readonly code: ClientErrorCode;
  /**
   * What the client knows that the caller needs next, as ReplyError's `data` carries the agent's:
   * an originate that got no reply has `{ uuid }` (the call it placed may still connect); an
   * executeApp completion that never came has `{ uuid, application_uuid, app, connection_lost }`,
   * one whose node's agent restarted during the wait `{ uuid, application_uuid, app, node }`.
   * Undefined otherwise.
   */
  readonly data: unknown;
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown; data?: unknown }) {
    super(code, message, options !== undefined && 'cause' in options ? { cause: options.cause } : undefined);
    this.data = options?.data;
  }
}

/** The agent answered `success:false`. `code` is the envelope's (a mod_event_agent reply without one gets COMMAND_FAILED). */
export class ReplyError extends FsbusError {
  readonly reply: ReplyEnvelope;
  /** The node that answered. */
  readonly nodeId: string;
  /** The envelope's `data` (e.g. FreeSWITCH's raw `-ERR …` output). */
  readonly data: unknown;
  constructor(reply: ReplyEnvelope) {
    super(reply.code ?? BusErrorCode.COMMAND_FAILED, reply.message);
    this.reply = reply;
    this.nodeId = reply.node_id;
    this.data = reply.data;
  }
}

/** `err.data`'s `key` when `err` is one of the SDK's errors whose data is an object and `key` a string there. */
function dataString(err: unknown, key: string): string | undefined {
  if (!(err instanceof ClientError || err instanceof ReplyError)) return undefined;
  const data = err.data;
  const value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The uuid of the call an originate placed, read from its error (`data.uuid`): the SDK's
 * ClientError when no reply came (timeout, abort, lost connection: the call may still connect) and
 * the agent's ReplyError (FSBUS_ERR_BUS_TIMEOUT, _ORIGINATE_FAILED, …) alike. Undefined when the
 * error carries none (nothing was placed: an argument refused before sending), or is not an fsbus
 * error. Other errors that name a channel in `data.uuid` (an executeApp wait's) give it too.
 */
export function placedCallUuid(err: unknown): string | undefined {
  return dataString(err, 'uuid');
}

/**
 * The hangup cause of an originate FreeSWITCH refused (FSBUS_ERR_BUS_ORIGINATE_FAILED's
 * `data.cause`: `USER_BUSY`, `NO_ANSWER`, …), else undefined.
 */
export function originateFailureCause(err: unknown): HangupCause | (string & {}) | undefined {
  if (!(err instanceof ReplyError) || err.code !== BusErrorCode.ORIGINATE_FAILED) return undefined;
  return dataString(err, 'cause');
}

/**
 * A request or gather the broker refused (an MQTT topic the ACL forbids, Redis out of memory, one
 * pushed out of the full send buffer unsent) keeps FSBUS_ERR_TRANSPORT_BROKER and the broker's
 * reason: as DISCONNECTED, a caller that retries a lost connection would retry it for ever.
 */
export function brokerRefusal(err: unknown, what: string): TransportError | undefined {
  if (!(err instanceof TransportError) || err.code !== TransportErrorCode.BROKER) return undefined;
  return new TransportError(err.code, `${what}: ${err.message}`, { cause: err });
}

/**
 * Transport errors → client errors, so callers branch on one family of codes. `refused` is the
 * code for what the broker refused or cannot do (TRANSPORT_BROKER, TRANSPORT_UNSUPPORTED) where the
 * caller knows better than "disconnected" (a request that could not be sent is one).
 */
export function toClientError(err: unknown, what: string, closed: boolean, refused: ClientErrorCode = ClientErrorCode.DISCONNECTED): Error {
  if (err instanceof ClientError || err instanceof ReplyError) return err;
  if (!(err instanceof TransportError)) return new ClientError(ClientErrorCode.DISCONNECTED, `${what} failed: ${(err as Error).message}`, { cause: err });
  switch (err.code) {
    case TransportErrorCode.TIMEOUT:
      return new ClientError(ClientErrorCode.TIMEOUT, `${what}: ${err.message}`, { cause: err });
    case TransportErrorCode.NO_RESPONDERS:
      return new ClientError(ClientErrorCode.NO_RESPONDERS, `${what}: no agent is listening (${err.message})`, { cause: err });
    case TransportErrorCode.ABORTED:
      return new ClientError(ClientErrorCode.ABORTED, `${what} was aborted`, { cause: err });
    case TransportErrorCode.CLOSED:
      return closed
        ? new ClientError(ClientErrorCode.CLOSED, `${what}: the client is closed`, { cause: err })
        : new ClientError(ClientErrorCode.DISCONNECTED, `${what}: ${err.message}`, { cause: err });
    case TransportErrorCode.CONNECT:
      return new ClientError(ClientErrorCode.CONNECT, err.message, { cause: err });
    case TransportErrorCode.BROKER:
    case TransportErrorCode.UNSUPPORTED:
      return new ClientError(refused, `${what}: ${err.message}`, { cause: err });
    default:
      return new ClientError(ClientErrorCode.DISCONNECTED, `${what}: ${err.message}`, { cause: err });
  }
}
