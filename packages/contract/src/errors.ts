/**
 * Error codes of the bus contract: what an error envelope's `code` says. The agent answers
 * with these; the SDK raises `BusError` with the same code.
 */
import { FsbusError } from '@fsbus/esl';

export const BusErrorCode = {
  /** The request body was empty. Message `Empty payload`. */
  EMPTY_PAYLOAD: 'FSBUS_ERR_BUS_EMPTY_PAYLOAD',
  /** The request body is over the payload cap. Message `Payload too large`. */
  PAYLOAD_TOO_LARGE: 'FSBUS_ERR_BUS_PAYLOAD_TOO_LARGE',
  /** The request body is not JSON, or not a JSON object. Message `Invalid JSON payload`. */
  INVALID_JSON: 'FSBUS_ERR_BUS_INVALID_JSON',
  /** `command` is missing, not a string, or empty. Message `Missing 'command' string`. */
  MISSING_COMMAND: 'FSBUS_ERR_BUS_MISSING_COMMAND',
  /** The verb is refused by the denylist/allowlist. Message `Command is not permitted via the event bus`. */
  COMMAND_DENIED: 'FSBUS_ERR_BUS_COMMAND_DENIED',
  /** A field failed validation (e.g. `'uuid' field required`, `uuid must be between 2 and 63 characters`, `args must be a string, number or boolean`, a bad `forward_to`, an async lane's body naming another command). */
  INVALID_ARGUMENT: 'FSBUS_ERR_BUS_INVALID_ARGUMENT',
  /** FreeSWITCH answered `-ERR`/`-USAGE`; `data` holds its raw output. */
  COMMAND_FAILED: 'FSBUS_ERR_BUS_COMMAND_FAILED',
  /** The agent has too many commands in flight, or FreeSWITCH too many requests unanswered on every connection; retry later. */
  BUSY: 'FSBUS_ERR_BUS_BUSY',
  /** The agent has no Event Socket connection to FreeSWITCH right now. */
  FREESWITCH_UNAVAILABLE: 'FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE',
  /** FreeSWITCH did not answer within the command's timeout (or, for a request handed to another node, that node did not). */
  TIMEOUT: 'FSBUS_ERR_BUS_TIMEOUT',
  /** The request names a node (`node_id` on `<prefix>.api`) that no agent on the bus serves right now. */
  NODE_UNAVAILABLE: 'FSBUS_ERR_BUS_NODE_UNAVAILABLE',
  /** The agent is shutting down and takes no new command. */
  SHUTTING_DOWN: 'FSBUS_ERR_BUS_SHUTTING_DOWN',
  /** An unexpected failure inside the agent; the log has the details. */
  INTERNAL: 'FSBUS_ERR_BUS_INTERNAL',
  /** originate did not connect the call; `data.cause` holds FreeSWITCH's hangup cause (NO_ANSWER, USER_BUSY…). */
  ORIGINATE_FAILED: 'FSBUS_ERR_BUS_ORIGINATE_FAILED',
  /** The channel a call-control command names does not exist. Message e.g. `execute_app: session not found`. */
  SESSION_NOT_FOUND: 'FSBUS_ERR_BUS_SESSION_NOT_FOUND',
  /** Park mode needs the agent's mod_xml_curl dialplan endpoint, which is not configured (`dialplan.port`). */
  PARK_UNAVAILABLE: 'FSBUS_ERR_BUS_PARK_UNAVAILABLE',
  /** The command ran, but its reply is larger than the broker takes (nats-server's `max_payload`, Kafka's `message.max.bytes`): narrow the command. */
  REPLY_TOO_LARGE: 'FSBUS_ERR_BUS_REPLY_TOO_LARGE',
} as const;
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

/** An error with a bus code; `data` carries what the envelope's `data` should hold, if anything. */
export class BusError extends FsbusError {
  declare readonly code: BusErrorCode;
  readonly data: unknown;
  constructor(code: BusErrorCode, message: string, options?: { cause?: unknown; data?: unknown }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.data = options?.data;
  }
}

/** The exact messages of SPEC §3.3 (mod_event_agent's wording; clients match on them). */
export const BusMessage = {
  EMPTY_PAYLOAD: 'Empty payload',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  INVALID_JSON: 'Invalid JSON payload',
  MISSING_COMMAND: "Missing 'command' string",
  COMMAND_DENIED: 'Command is not permitted via the event bus',
  API_EXECUTED: 'API command executed',
} as const;
