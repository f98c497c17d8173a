/**
 * EslSession: one outbound socket session (FreeSWITCH's `socket` application connected to us).
 * Same commands as the inbound client on the session's own socket, plus call-control helpers
 * that wait for the application's CHANNEL_EXECUTE_COMPLETE (also in `async` socket mode,
 * where FreeSWITCH replies as soon as the application is dispatched).
 */
import { checkToken, simpleCommand } from './command-text.js';
import type { CommandOptions, ExecuteOptions } from './command-options.js';
import { checkMyevents, checkObject, checkOptions, checkString, EslCommands, GETVAR_UNSET } from './commands.js';
import type { Socket } from 'node:net';
import { EslConnection, type ReplyFrame } from './connection.js';
import { EslClosedError, EslCommandError, EslInvalidArgumentError, EslProtocolError } from './errors.js';
import { EslEvent } from './event.js';
import { MYEVENTS_NAMES } from './event-names.js';
import { HUB_SIGNALS, type EslHubEvents, type SignalNames } from './event-hub.js';
import type { EventFormat } from './event-codec.js';
import { commandReplyFrame, ContentType, GOODBYE_TEXT, type CommandReplyFrame, type DisconnectNoticeFrame, type EslFrame } from './frame.js';
import type { EslLogger } from './logger.js';
import type { ParserOptions } from './parser.js';
import { runsOnHungUpChannel } from './zombie-apps.js';

export interface EslSessionEvents extends EslHubEvents {
  /**
   * Once: the session is over for the application — the first disconnect-notice (FreeSWITCH's
   * goodbye, or its linger notice after the channel hung up) or the socket's close, whichever
   * comes first. Not "the call is over": a session ended by `close()`/`exit` leaves the channel up,
   * and the dialplan goes on with its next application. See `hungUp` for the channel.
   */
  end: [];
  /** The socket closed. */
  close: [];
}

const SESSION_SIGNALS: SignalNames<EslSessionEvents> = { ...HUB_SIGNALS, end: true, close: true };

export interface PlayAndGetDigitsOptions {
  min: number;
  max: number;
  /** @default 3 */
  tries?: number;
  /** Milliseconds to wait for the first digit after the prompt. @default 5000 */
  timeoutMs?: number;
  /** @default '#' */
  terminators?: string;
  file: string;
  /** @default 'silence_stream://250' */
  invalidFile?: string;
  /** Channel variable that receives the digits. @default 'pagd_digits' */
  varName?: string;
  /** @default '\\d+' */
  regexp?: string;
  /** Milliseconds between digits. @default timeoutMs */
  digitTimeoutMs?: number;
}

export interface EslSessionOptions {
  logger: EslLogger;
  eventQueueLimit: number;
  requestTimeoutMs: number;
  maxPending: number;
  /** The framing limits of the session's socket (EslServer: strict until the `connect` reply). */
  parser?: ParserOptions | undefined;
}

/** How long close() waits for the socket to close after `exit`. */
const CLOSE_GRACE_MS = 2000;

/** Channel data headers that are not about the channel. */
const REPLY_HEADERS = new Set(['Content-Type', 'Reply-Text', 'Content-Length']);

const MYEVENTS_ENABLED = '+OK Events Enabled';

/** mod_event_socket's parse_command ends the session on a command starting `exit` or `...`, in any case. */
function endsSession(text: string): boolean {
  const first = text.charCodeAt(0);
  // Most commands are refused by their first character, without a regex.
  return (first === 0x65 || first === 0x45 || first === 0x2e) && /^(?:exit|\.\.\.)/i.test(text);
}

/** A `set` variable name: one word, no `=`. */
function checkVariableName(label: string, name: string): void {
  checkString(label, 'name', name);
  if (name === '' || /[\s=]/.test(name)) throw new EslInvalidArgumentError(`variable name ${JSON.stringify(name)} is not valid`);
}

export class EslSession extends EslCommands<EslSessionEvents> {
  readonly #conn: EslConnection;
  #channelData: EslEvent = new EslEvent();
  #ended = false;
  #socketMode: string | undefined;
  #control: string | undefined;
  /** An execute helper turned myevents on (a socket without `full`). */
  #ownMyevents = false;
  /** The channel hung up: FreeSWITCH runs only SAF_ZOMBIE_EXEC applications on it. */
  #hungUp = false;
  /** The channel's Hangup-Cause, from its CHANNEL_HANGUP or CHANNEL_HANGUP_COMPLETE. */
  #hangupCause: string | undefined;
  /** Nothing runs on the channel any more (async mode: its hangup is complete, or the linger notice came). */
  #channelGone = false;
  /** The rank (the connection's requestsTaken) of the last `exit` sent: its reply before the goodbye means the goodbye answers it. */
  #exitRequest: number | undefined;
  /** The close() under way. */
  #closing: Promise<void> | undefined;

  constructor(socket: Socket, options: EslSessionOptions) {
    super(options.logger, options.eventQueueLimit, options.requestTimeoutMs, SESSION_SIGNALS);
    this.#conn = new EslConnection(
      socket,
      {
        onFrame: (frame) => this.#onFrame(frame),
        onProtocolError: (err, fatal) => this.handleProtocolError(err, fatal),
        onClose: (err) => this.#onClose(err),
      },
      { maxPending: options.maxPending, requestTimeoutMs: options.requestTimeoutMs, stats: this.stats, parser: options.parser },
    );
  }

  /** The CHANNEL_DATA FreeSWITCH sent in reply to `connect` (URL-decoded). */
  get channelData(): EslEvent {
    return this.#channelData;
  }

  /** The controlled channel's `Unique-ID`. */
  get uuid(): string {
    return this.#channelData.getHeader('Unique-ID') ?? this.#channelData.getHeader('Channel-Unique-ID') ?? '';
  }

  /** `async` or `static` (`Socket-Mode` of the connect reply). */
  get socketMode(): string | undefined {
    return this.#socketMode;
  }

  /** `full` or `single-channel` (`Control` of the connect reply). */
  get control(): string | undefined {
    return this.#control;
  }

  /** Whether 'end' was emitted (a listener added later does not get it). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Whether the session knows its channel hung up: its CHANNEL_HANGUP or CHANNEL_HANGUP_COMPLETE
   * (when subscribed), FreeSWITCH's linger notice, or its goodbye notice when that does not answer
   * an `exit` (without linger FreeSWITCH ends the session so when the channel goes down). From then
   * on an execute of an application that FreeSWITCH would not run there rejects EslClosedError at once.
   */
  get hungUp(): boolean {
    return this.#hungUp;
  }

  /**
   * The channel's `Hangup-Cause` once the session heard it: from its CHANNEL_HANGUP or
   * CHANNEL_HANGUP_COMPLETE (delivered by `myevents`/`event`, or by the subscription an execute
   * makes for itself); undefined before, or when only a disconnect notice told of the hangup.
   * `DESTINATION_OUT_OF_ORDER` is FreeSWITCH's answer to an application it does not know (a typo):
   * not a caller who hung up.
   */
  get hangupCause(): string | undefined {
    return this.#hangupCause;
  }

  get closed(): boolean {
    return this.#conn.closed;
  }

  get remoteAddress(): string | undefined {
    return this.#conn.socket.remoteAddress;
  }

  /**
   * Sends `connect` and keeps the channel data. Called by EslServer. A reply naming no channel
   * (no `Unique-ID` nor `Channel-Unique-ID`) is not FreeSWITCH's: EslProtocolError, no session.
   */
  async handshake(timeoutMs: number): Promise<void> {
    const reply = await this.#conn.request(simpleCommand('connect'), 'connect', { timeoutMs });
    if (reply.kind !== 'command-reply' || !reply.ok) throw new EslCommandError('connect', reply.kind === 'command-reply' ? reply.replyText : reply.body);
    const headers: Array<[string, string]> = [];
    for (const [name, value] of reply.headers) if (!REPLY_HEADERS.has(name)) headers.push([name, value]);
    const channelData = new EslEvent(headers);
    // Without it the session's uuid would be '': its commands and events could not name its channel.
    if ((channelData.getHeader('Unique-ID') ?? channelData.getHeader('Channel-Unique-ID') ?? '') === '') {
      throw new EslProtocolError('the connect reply carries no channel data (no Unique-ID nor Channel-Unique-ID)');
    }
    this.#channelData = channelData;
    this.#socketMode = reply.headers.get('Socket-Mode');
    this.#control = reply.headers.get('Control');
  }

  /** Destroys the socket at once (no exit). */
  destroy(): void {
    this.#conn.destroy();
  }

  /**
   * Sends `exit` (FreeSWITCH closes the socket) and waits for the close. A second call while one
   * is under way waits for that one: its `exit` would go out after the half-close.
   */
  async close(opts: CommandOptions = {}): Promise<void> {
    // Before anything: a refused exit would destroy the socket instead.
    checkOptions('close', opts);
    if (this.#conn.closed) return;
    this.#closing ??= this.#close(opts);
    return this.#closing;
  }

  async #close(opts: CommandOptions): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#conn.socket.once('close', () => resolve()));
    try {
      await this.exit(opts);
      this.#conn.end();
    } catch {
      this.#conn.destroy();
    }
    // FreeSWITCH closes after `+OK bye`; a peer that does not is cut off.
    const timer = setTimeout(() => this.#conn.destroy(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }

  answer(opts?: ExecuteOptions): Promise<EslEvent> {
    return this.execute(undefined, 'answer', undefined, opts);
  }

  /** `sendmsg` hangup with `hangup-cause`; resolves on the reply. */
  async hangup(cause = 'NORMAL_CLEARING', opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkString('hangup', 'cause', cause);
    return this.sendmsg(undefined, { callCommand: 'hangup', headers: { 'hangup-cause': cause } }, opts);
  }

  async playback(file: string, opts?: ExecuteOptions): Promise<EslEvent> {
    checkString('playback', 'file', file);
    return this.execute(undefined, 'playback', file, opts);
  }

  /** Runs play_and_get_digits and resolves with the digits collected ('' when none). */
  async playAndGetDigits(o: PlayAndGetDigitsOptions, opts?: ExecuteOptions): Promise<string> {
    checkObject('playAndGetDigits', 'options', o);
    checkString('playAndGetDigits', 'file', o.file);
    const varName = o.varName ?? 'pagd_digits';
    const timeout = o.timeoutMs ?? 5000;
    const args = [o.min, o.max, o.tries ?? 3, timeout, o.terminators ?? '#', o.file, o.invalidFile ?? 'silence_stream://250', varName, o.regexp ?? '\\d+', o.digitTimeoutMs ?? timeout].map(String);
    for (const a of args) if (a === '' || /\s/.test(a)) throw new EslInvalidArgumentError(`play_and_get_digits argument ${JSON.stringify(a)} must be one word`);
    const done = await this.execute(undefined, 'play_and_get_digits', args.join(' '), opts);
    return done.getHeader(`variable_${varName}`) ?? '';
  }

  async bridge(dialString: string, opts?: ExecuteOptions): Promise<EslEvent> {
    checkString('bridge', 'dialString', dialString);
    return this.execute(undefined, 'bridge', dialString, opts);
  }

  /** An invalid name rejects (EslInvalidArgumentError) without sending anything. */
  async set(name: string, value: string, opts?: ExecuteOptions): Promise<EslEvent> {
    checkVariableName('set', name);
    checkString('set', 'value', value);
    return this.execute(undefined, 'set', `${name}=${value}`, opts);
  }

  /**
   * Sets several variables (pipelined `set`s, in order). Every name is checked first: an invalid
   * one rejects EslInvalidArgumentError before any `set` is sent.
   */
  async setMany(vars: Readonly<Record<string, string>>, opts?: ExecuteOptions): Promise<void> {
    checkObject('setMany', 'vars', vars);
    checkOptions('setMany', opts);
    const entries = Object.entries(vars);
    for (const [name, value] of entries) {
      checkVariableName('setMany', name);
      checkString('setMany', `the value of ${name}`, value);
    }
    // execute() is async (never throws synchronously): every promise built here reaches Promise.all.
    await Promise.all(entries.map(([name, value]) => this.execute(undefined, 'set', `${name}=${value}`, opts)));
  }

  /**
   * The variable's value (`getvar`), as FreeSWITCH writes it (one starting `-ERR` included); '' when
   * unset or empty. FreeSWITCH cannot tell those from a value of exactly `-ERR command not found`,
   * and writes at most 511 bytes of a value (its reply buffer): `api('uuid_getvar …')` has no such limit.
   */
  async getVariable(name: string, opts?: CommandOptions): Promise<string> {
    try {
      return (await this.getvar(name, opts)).replyText;
    } catch (err) {
      // FreeSWITCH answers an unset (or empty) variable with its fallthrough reply.
      if (err instanceof EslCommandError && err.reply === GETVAR_UNSET) return '';
      throw err;
    }
  }

  /**
   * `myevents`. On a socket without `full`, where an execute helper already turned myevents on,
   * the session's own channel is not asked again (FreeSWITCH would answer `-ERR aready enabled.`):
   * it resolves with the `+OK Events Enabled` of a first call, the format staying what it was.
   */
  override async myevents(uuid?: string, format?: EventFormat, opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkMyevents(uuid, format, opts);
    if (!this.#ownMyevents || (uuid !== undefined && uuid !== this.uuid)) return super.myevents(uuid, format, opts);
    if (format !== undefined) checkToken('format', format);
    return commandReplyFrame(new Map([['Content-Type', ContentType.COMMAND_REPLY], ['Reply-Text', MYEVENTS_ENABLED]]));
  }

  /** Notes an `exit` (also one sent raw): the goodbye after its reply is no sign of a hangup. */
  protected override send(conn: EslConnection, text: string, label: string, opts?: CommandOptions, holdsLine?: boolean): Promise<ReplyFrame> {
    const before = conn.requestsTaken;
    const reply = super.send(conn, text, label, opts, holdsLine);
    // Counted only once the connection took it (not refused: closed, queue full).
    if (endsSession(text) && conn.requestsTaken > before) this.#exitRequest = conn.requestsTaken;
    return reply;
  }

  protected override connectionFor(label: string): EslConnection {
    if (this.#conn.closed) throw new EslClosedError(`${label}: session closed`, { unsent: true });
    return this.#conn;
  }

  /**
   * A socket without `full` (the dialplan's `socket` without it) refuses `event` with
   * `-ERR command not found` and allows `myevents`, whose list carries the execute and hangup
   * results: an execute then turns that on instead of waiting for ever.
   */
  protected override resultSubscription(name: string): string {
    if (this.#control === 'full' || !(MYEVENTS_NAMES as readonly string[]).includes(name)) return super.resultSubscription(name);
    this.subs.myevents = 'myevents';
    this.#ownMyevents = true;
    return 'myevents';
  }

  protected override repliesAfterExecution(): boolean {
    return this.#socketMode === 'static';
  }

  protected override channelUuid(): string | undefined {
    return this.uuid === '' ? undefined : this.uuid;
  }

  /**
   * On the session's own channel, after its hangup: FreeSWITCH refuses (no event) every
   * application without SAF_ZOMBIE_EXEC, and in async mode once the hangup is complete runs
   * nothing at all. A static session's async execute would run only after the session.
   */
  protected override executeRefusal(uuid: string | undefined, app: string, async: boolean, label: string): Error | undefined {
    if (uuid !== undefined && uuid !== this.uuid) return undefined;
    if (async && this.#socketMode === 'static') {
      return new EslInvalidArgumentError(`${label}: a static outbound session runs a queued (async) application only once the session is over; use execute, which runs it now`);
    }
    if (this.#channelGone || (this.#hungUp && !runsOnHungUpChannel(app))) {
      const why = this.#hangupCause === undefined ? '' : ` (${this.#hangupCause})`;
      return new EslClosedError(`${label}: channel ${this.uuid} hung up${why}`, { unsent: true, hangupCause: this.#hangupCause, application: app });
    }
    return undefined;
  }

  protected override channelHangup(event: EslEvent, complete: boolean): void {
    if (event.uuid === this.uuid) {
      this.#hungUp = true;
      this.#hangupCause ??= event.getHeader('Hangup-Cause');
      if (complete) this.#channelGone = true;
    }
    super.channelHangup(event, complete);
  }

  #onFrame(frame: EslFrame): void {
    if (frame.kind === 'disconnect-notice') this.#onNotice(frame);
    this.handleFrame(frame);
    if (frame.kind === 'disconnect-notice') this.#end();
  }

  /**
   * The linger notice says the channel is down. A static session gets it after every event the
   * channel fired while it ran its applications: an execute still waiting is one FreeSWITCH
   * refused (or, unknown, never ran) unless the application runs on a hung-up channel.
   * The goodbye says so too unless it answers our `exit`: replies come in order, so that exit's
   * reply has been counted by then (FreeSWITCH writes `+OK bye` before it).
   */
  #onNotice(frame: DisconnectNoticeFrame): void {
    const uuid = frame.headers.get('Controlled-Session-UUID');
    if (uuid !== undefined && uuid !== this.uuid) return;
    if (!frame.linger) {
      if (!frame.text.startsWith(GOODBYE_TEXT)) return;
      if (this.#exitRequest !== undefined && this.#conn.repliesRead >= this.#exitRequest) return;
      this.#hungUp = true;
      this.#channelGone = true;
      return;
    }
    this.#hungUp = true;
    if (this.#socketMode === 'static') this.rejectChannelWaits(this.uuid, true, this.#hangupCause);
    else this.#channelGone = true;
  }

  #onClose(err: Error | undefined): void {
    // A static session without linger closes at the hangup: its execute waits end for that reason.
    if (this.#hungUp) this.rejectChannelWaits(this.uuid, false, this.#hangupCause, err);
    this.rejectWaiters(new EslClosedError('session closed', err === undefined ? undefined : { cause: err }));
    this.closeHub();
    this.#end();
    this.emit('close');
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.emit('end');
  }
}
