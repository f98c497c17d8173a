/**
 * Whether FreeSWITCH lets the agent in, as its Event Socket connections find out: a refused
 * password, a connection its event socket ACL turns away (`text/rude-rejection`), or no answer at
 * all. Each is counted and logged once per burst, not once per attempt and connection, and says
 * why the link is not ready while it lasts; one line says when the link is up (the first time,
 * and again after each loss of the event connection). Frames of a Content-Type the client does
 * not know are counted and logged here too. What it knows also goes into a command's "not
 * connected" answer (`cause`).
 */
import { EslRejectedError, LogThrottle, RECONNECT_FAILED_LOG, type EslAuthError, type EslLogger, type UnknownFrame } from '@fsbus/esl';

/** Whether FreeSWITCH accepted the password: `unknown` until a connection got an answer. */
export type EslAuthState = 'unknown' | 'accepted' | 'refused';

export class LinkAccess {
  readonly #endpoint: { host: string; port: number };
  readonly #logger: EslLogger;
  readonly #onAuth: ((state: EslAuthState) => void) | undefined;
  /** The variable the operator sets the password with. */
  readonly #passwordEnv: string;
  /** Where the password is set, as a command's answer names it: the variable it came from, else the file's key or the variable. */
  readonly #passwordSetting: string;
  readonly #authLog: LogThrottle;
  readonly #unreachableLog: LogThrottle;
  readonly #rejectLog: LogThrottle;
  readonly #unknownFrameLog: LogThrottle;
  #auth: EslAuthState = 'unknown';
  /** Why FreeSWITCH refused the password last, until a connection gets in or an attempt fails for another reason. */
  #authError: string | undefined;
  /** Why FreeSWITCH turned the connection away last (its ACL), until one gets in or fails otherwise. */
  #rejectError: string | undefined;
  /** Why the last attempt found no FreeSWITCH to answer (refused, timed out…), until one gets an answer. */
  #unreachableError: string | undefined;
  /** Connection attempts FreeSWITCH refused the password of. */
  authFailures = 0;
  /** Connection attempts FreeSWITCH turned away before the password (apply-inbound-acl). */
  rejections = 0;
  /** Frames of an unknown or missing Content-Type (not decoded, not used). */
  unknownFrames = 0;
  /** `up` once said connected, `lost` when the event connection went away after that. */
  #link: 'never' | 'up' | 'lost' = 'never';
  #lostAt = 0;

  /** `passwordEnv`: the variable the password was read from; undefined when it came from the file or is the default. */
  constructor(endpoint: { host: string; port: number }, logger: EslLogger, onAuth?: (state: EslAuthState) => void, passwordEnv?: string) {
    this.#endpoint = endpoint;
    this.#logger = logger;
    this.#onAuth = onAuth;
    this.#passwordEnv = passwordEnv ?? 'FSBUS_ESL_PASSWORD';
    this.#passwordSetting = passwordEnv ?? 'esl.password / FSBUS_ESL_PASSWORD';
    this.#authLog = new LogThrottle((fields, msg) => logger.error(fields, msg), `FreeSWITCH refused the ESL password (${this.#passwordEnv}), retrying`);
    this.#unreachableLog = new LogThrottle((fields, msg) => logger.warn(fields, msg), 'FreeSWITCH not reachable, retrying');
    this.#rejectLog = new LogThrottle((fields, msg) => logger.error(fields, msg), "FreeSWITCH turned the connection away (its event socket's apply-inbound-acl), retrying");
    this.#unknownFrameLog = new LogThrottle((fields, msg) => logger.warn(fields, msg), 'FreeSWITCH sent a frame of an unknown Content-Type, ignored');
  }

  /** `refused` while FreeSWITCH refuses the password (every attempt is retried). */
  get auth(): EslAuthState {
    return this.#auth;
  }

  /** Why no connection gets in, when FreeSWITCH said why (the password, its ACL), for /readyz. */
  get refusal(): string | undefined {
    if (this.#authError !== undefined) return `FreeSWITCH refused the ESL password (${this.#authError}), retrying: check ${this.#passwordEnv}`;
    if (this.#rejectError !== undefined) return `FreeSWITCH turned the connection away (${this.#rejectError}), retrying: its event socket ACL (apply-inbound-acl) must allow this host`;
    return undefined;
  }

  /**
   * Why no connection gets in, as a command that found none is answered (`FreeSWITCH is not
   * connected: <cause>`): what FreeSWITCH said (the password, its ACL), or why the last attempt got
   * no answer; undefined when nothing is known.
   */
  get cause(): string | undefined {
    if (this.#authError !== undefined) return `it refused the ESL password (${this.#passwordSetting})`;
    if (this.#rejectError !== undefined) return `it turned the connection away (${this.#rejectError}): its event socket ACL (apply-inbound-acl) must allow this host`;
    return this.#unreachableError;
  }

  /** Why the last connection attempt got no answer from FreeSWITCH, for /readyz; undefined once one did. */
  get unreachableReason(): string | undefined {
    return this.#unreachableError;
  }

  /** A connection attempt failed without an answer to the password. */
  unreachable(err: unknown, attempt: number | undefined): void {
    if (err instanceof EslRejectedError) {
      this.rejected(err, attempt);
      return;
    }
    // No answer to the password this time: /readyz stops blaming it (auth keeps the last answer).
    this.#authError = undefined;
    this.#rejectError = undefined;
    const reason = err instanceof Error ? err.message : String(err);
    this.#unreachableError = reason;
    this.#unreachableLog.hit({ reason, host: this.#endpoint.host, port: this.#endpoint.port, attempt });
  }

  /** FreeSWITCH answered, but its ACL refuses this host: not "unreachable", and no password was tried. */
  rejected(err: EslRejectedError, attempt: number | undefined): void {
    this.rejections++;
    this.#authError = undefined;
    this.#unreachableError = undefined;
    this.#rejectError = err.text;
    this.#rejectLog.hit({ reason: err.text, host: this.#endpoint.host, port: this.#endpoint.port, attempt });
  }

  authRefused(err: EslAuthError, attempt: number | undefined): void {
    this.authFailures++;
    this.#auth = 'refused';
    this.#authError = err.message;
    this.#rejectError = undefined;
    this.#unreachableError = undefined;
    // The message carries FreeSWITCH's reply, never the password.
    this.#authLog.hit({ reason: err.message, host: this.#endpoint.host, port: this.#endpoint.port, attempt });
    this.#onAuth?.('refused');
  }

  /** A connection got in. */
  accepted(): void {
    const was = this.#auth;
    this.#auth = 'accepted';
    this.#authError = undefined;
    this.#rejectError = undefined;
    this.#unreachableError = undefined;
    this.#rejectLog.flush();
    if (was !== 'refused') return;
    this.#authLog.flush();
    this.#logger.info({ host: this.#endpoint.host, port: this.#endpoint.port }, 'FreeSWITCH accepted the ESL password');
    this.#onAuth?.('accepted');
  }

  /**
   * The event connection and at least one command connection are up: said once, at the first
   * connect and after each loss of the event connection, with how many command connections are
   * up by then (not a line per connection; the others follow silently).
   */
  linkUp(commandsReady: number, poolSize: number): void {
    if (this.#link === 'up') return;
    const again = this.#link === 'lost';
    this.#link = 'up';
    // What the burst of failed attempts held back comes first: the last line must not say "not reachable".
    this.#unreachableLog.flush();
    const fields = { host: this.#endpoint.host, port: this.#endpoint.port, command_connections_ready: commandsReady, pool_size: poolSize };
    if (again) this.#logger.info({ ...fields, down_ms: Date.now() - this.#lostAt }, 'FreeSWITCH connected again');
    else this.#logger.info(fields, 'FreeSWITCH connected');
  }

  /** The event connection is no longer ready (its loss is logged by the ESL client, its reconnects by `unreachable`). */
  eventsDown(): void {
    if (this.#link !== 'up') return;
    this.#link = 'lost';
    this.#lostAt = Date.now();
  }

  /** Writes what the rate-limited lines still hold (on close, not by a timer after it). */
  flushLogs(): void {
    for (const log of [this.#authLog, this.#rejectLog, this.#unreachableLog, this.#unknownFrameLog]) log.flush();
  }

  unknownFrame(frame: UnknownFrame, connection: 'events' | 'commands'): void {
    this.unknownFrames++;
    const contentType = frame.contentType === '' ? '(none)' : frame.contentType.slice(0, 100);
    this.#unknownFrameLog.hit({ content_type: contentType, connection });
  }
}

/** The ESL clients' logger, without their line per failed reconnect attempt and connection: LinkAccess says it once per burst. */
export function withoutReconnectLines(logger: EslLogger): EslLogger {
  return {
    debug: (obj, msg) => logger.debug(obj, msg),
    info: (obj, msg) => logger.info(obj, msg),
    error: (obj, msg) => logger.error(obj, msg),
    warn: (obj, msg) => {
      if (msg !== RECONNECT_FAILED_LOG) logger.warn(obj, msg);
    },
  };
}
