/**
 * Errors of @fsbus/esl. Every error carries a stable `code` (`FSBUS_ERR_*`), documented in
 * docs/errors.md; a test keeps the two in step. Codes are never reused once retired.
 */

/** Base class of every error fsbus throws, in every package. */
export class FsbusError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export const EslErrorCode = {
  /** The peer sent bytes that are not Event Socket protocol. */
  PROTOCOL: 'FSBUS_ERR_ESL_PROTOCOL',
  /** A request got no reply (or a bgapi/execute no result) within its timeout, or connect() did not finish within connectTimeoutMs. */
  TIMEOUT: 'FSBUS_ERR_ESL_TIMEOUT',
  /** A request was cancelled by its AbortSignal. */
  ABORTED: 'FSBUS_ERR_ESL_ABORTED',
  /** The connection closed while the request was pending, or before it was sent. */
  CLOSED: 'FSBUS_ERR_ESL_CLOSED',
  /** The TCP connection could not be established. */
  CONNECT: 'FSBUS_ERR_ESL_CONNECT',
  /** FreeSWITCH refused the password or the user. */
  AUTH: 'FSBUS_ERR_ESL_AUTH',
  /** FreeSWITCH's ACL refused the connection (`text/rude-rejection`). */
  REJECTED: 'FSBUS_ERR_ESL_REJECTED',
  /** FreeSWITCH answered a command with `-ERR` or `-USAGE`. */
  COMMAND: 'FSBUS_ERR_ESL_COMMAND',
  /**
   * An argument would break the protocol framing (a newline or NUL byte, a 10 MiB header block),
   * FreeSWITCH would run another command than the one meant (its unload/reload of mod_event_socket),
   * a bgapi/execute id is already pending, or an option is out of range (a timeout over 2^31-1 ms).
   */
  INVALID_ARGUMENT: 'FSBUS_ERR_ESL_INVALID_ARGUMENT',
  /** Too many requests are waiting for a reply on this connection. */
  QUEUE_FULL: 'FSBUS_ERR_ESL_QUEUE_FULL',
  /** A reply's body is over the parser's limit (`Content-Length`): skipped, the connection goes on. */
  TOO_LARGE: 'FSBUS_ERR_ESL_TOO_LARGE',
  /** A listener of the application's threw or rejected (its throw is the `cause`). */
  LISTENER: 'FSBUS_ERR_ESL_LISTENER',
  /** FreeSWITCH refused the event subscription a bgapi/execute result needs (a userauth user's esl-allowed-events). */
  SUBSCRIPTION_REFUSED: 'FSBUS_ERR_ESL_SUBSCRIPTION_REFUSED',
} as const;
export type EslErrorCode = (typeof EslErrorCode)[keyof typeof EslErrorCode];

/** Base class of the errors of @fsbus/esl. */
export class EslError extends FsbusError {
  declare readonly code: EslErrorCode;
  constructor(code: EslErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class EslProtocolError extends EslError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(EslErrorCode.PROTOCOL, message, options);
  }
}

export class EslTimeoutError extends EslError {
  /** `detail`: how far it got, said after the timeout. */
  constructor(what: string, ms: number, detail?: string) {
    super(EslErrorCode.TIMEOUT, `${what} timed out after ${ms} ms${detail === undefined ? '' : `: ${detail}`}`);
  }
}

export class EslAbortError extends EslError {
  constructor(what: string, reason?: unknown) {
    super(EslErrorCode.ABORTED, `${what} was aborted`, reason === undefined ? undefined : { cause: reason });
  }
}

export class EslClosedError extends EslError {
  /**
   * True when the request was refused before any byte of it was written (not connected, the
   * session or channel already gone): FreeSWITCH never saw it, a retry is safe. False when the
   * connection closed while it waited for its answer: FreeSWITCH may have run it.
   */
  readonly unsent: boolean;
  /**
   * An execute ended by its channel's hangup: the channel's `Hangup-Cause` when known
   * (`DESTINATION_OUT_OF_ORDER` after an application FreeSWITCH does not know), else undefined.
   */
  readonly hangupCause: string | undefined;
  /** An execute ended by its channel's hangup: the application's name; undefined otherwise. */
  readonly application: string | undefined;
  constructor(message = 'connection closed', options?: { cause?: unknown; unsent?: boolean; hangupCause?: string | undefined; application?: string | undefined }) {
    super(EslErrorCode.CLOSED, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.unsent = options?.unsent ?? false;
    this.hangupCause = options?.hangupCause;
    this.application = options?.application;
  }
}

export class EslConnectError extends EslError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(EslErrorCode.CONNECT, message, options);
  }
}

export class EslAuthError extends EslError {
  constructor(reply: string) {
    super(EslErrorCode.AUTH, `authentication refused: ${reply}`);
  }
}

/** FreeSWITCH turned the connection away before the password (`text/rude-rejection`: its ACL). */
export class EslRejectedError extends EslError {
  /** FreeSWITCH's text, trimmed (`Access Denied, go away.`). */
  readonly text: string;
  constructor(text: string) {
    super(EslErrorCode.REJECTED, `connection rejected by FreeSWITCH: ${text.trim()}`);
    this.text = text.trim();
  }
}

/** FreeSWITCH answered `-ERR …`/`-USAGE …`; `reply` holds its text verbatim. */
export class EslCommandError extends EslError {
  readonly reply: string;
  constructor(command: string, reply: string) {
    super(EslErrorCode.COMMAND, `${command}: ${reply.trim()}`);
    this.reply = reply;
  }
}

export class EslInvalidArgumentError extends EslError {
  constructor(message: string) {
    super(EslErrorCode.INVALID_ARGUMENT, message);
  }
}

export class EslQueueFullError extends EslError {
  constructor(limit: number) {
    super(EslErrorCode.QUEUE_FULL, `more than ${limit} requests are waiting for a reply`);
  }
}

/** FreeSWITCH's reply was larger than the parser keeps (its body was skipped; the connection goes on). */
export class EslTooLargeError extends EslError {
  readonly bytes: number;
  readonly limit: number;
  constructor(what: string, bytes: number, limit: number) {
    super(EslErrorCode.TOO_LARGE, `${what} of ${bytes} bytes is over the limit of ${limit} bytes: skipped`);
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * A listener threw, or an async one rejected: `event` is what it listened to (`CHANNEL_ANSWER`,
 * `session`, `error`; `onChannel <uuid>: <event name>` for a channel listener), `cause` its throw.
 */
export class EslListenerError extends EslError {
  readonly event: string;
  constructor(event: string, thrown: unknown) {
    super(EslErrorCode.LISTENER, `a listener of '${event}' threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown });
    this.event = event;
  }
}

/**
 * FreeSWITCH refused the subscription that brings a bgapi's or an execute's result (`event plain
 * BACKGROUND_JOB` answered `-ERR permission denied`: the userauth user's esl-allowed-events leaves
 * that event out), so the result cannot arrive on this connection. Not an EslCommandError: the
 * bgapi or execute itself may have been accepted and run.
 */
export class EslSubscriptionRefusedError extends EslError {
  /** The event the call needs (`BACKGROUND_JOB`, `CHANNEL_EXECUTE_COMPLETE`, `CHANNEL_HANGUP_COMPLETE`, `CHANNEL_EXECUTE`). */
  readonly event: string;
  /** The command FreeSWITCH refused (`event plain BACKGROUND_JOB`). */
  readonly command: string;
  /** FreeSWITCH's reply to it, verbatim (`-ERR permission denied`). */
  readonly reply: string;
  /**
   * True: the refusal came earlier on this connection and this call sent nothing (FreeSWITCH never
   * saw it). False: the bgapi or execute was sent and FreeSWITCH accepted it: the job or
   * application may run, only its result cannot be heard.
   */
  readonly unsent: boolean;
  /**
   * `label`: the call (`bgapi status`, `execute answer`); `needs`: every event that kind of call
   * subscribes to, named in the advice.
   */
  constructor(label: string, refused: { event: string; command: string; reply: string }, unsent: boolean, needs: readonly string[]) {
    const { event, command, reply } = refused;
    const what = `FreeSWITCH refused the subscription to ${event} that ${label.split(' ', 1)[0]!} needs for its result ("${command}": ${reply.trim()})`;
    const outcome = unsent
      ? `not sent: ${what} earlier on this connection, and a refusal stands until the next connection`
      : label.startsWith('bgapi')
        ? `${what}: the job was started, but its result cannot arrive on this connection`
        : `${what}: sendmsg got +OK: the application may still run, but its end cannot be heard on this connection`;
    super(EslErrorCode.SUBSCRIPTION_REFUSED, `${label}: ${outcome}; allow ${needs.join(', ')} in the user's esl-allowed-events (FreeSWITCH's directory), or connect as a user whose allowed events include them`);
    this.event = event;
    this.command = command;
    this.reply = reply;
    this.unsent = unsent;
  }
}
