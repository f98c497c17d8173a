/**
 * EslSession: one outbound socket session (FreeSWITCH's `socket` application connected to us).
 * Same commands as the inbound client on the session's own socket, plus call-control helpers
 * that wait for the application's CHANNEL_EXECUTE_COMPLETE (also in `async` socket mode,
 * where FreeSWITCH replies as soon as the application is dispatched).
 */
import { checkToken, simpleCommand } from './command-text.js';
import type { CommandOptions, ExecuteOptions } from './command-options.js';
import { EslCommands } from './commands.js';
import type { Socket } from 'node:net';
import { EslConnection } from './connection.js';
import { EslClosedError, EslCommandError, EslInvalidArgumentError } from './errors.js';
import { EslEvent } from './event.js';
import { MYEVENTS_NAMES } from './event-names.js';
import { HUB_SIGNALS, type EslHubEvents, type SignalNames } from './event-hub.js';
import type { EventFormat } from './event-codec.js';
import { commandReplyFrame, ContentType, type CommandReplyFrame, type EslFrame } from './frame.js';
import type { EslLogger } from './logger.js';

export interface EslSessionEvents extends EslHubEvents {
  /** Once: on the first disconnect-notice or when the socket closes, whichever comes first. */
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
}

/** How long close() waits for the socket to close after `exit`. */
const CLOSE_GRACE_MS = 2000;

/** Channel data headers that are not about the channel. */
const REPLY_HEADERS = new Set(['Content-Type', 'Reply-Text', 'Content-Length']);

/** FreeSWITCH's reply to `getvar` of an unset variable (mod_event_socket's fallthrough). */
const GETVAR_UNSET = '-ERR command not found';
const MYEVENTS_ENABLED = '+OK Events Enabled';

/** A `set` variable name: one word, no `=`. */
function checkVariableName(name: string): void {
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

  constructor(socket: Socket, options: EslSessionOptions) {
    super(options.logger, options.eventQueueLimit, options.requestTimeoutMs, SESSION_SIGNALS);
    this.#conn = new EslConnection(
      socket,
      {
        onFrame: (frame) => this.#onFrame(frame),
        onProtocolError: (err, fatal) => this.handleProtocolError(err, fatal),
        onClose: (err) => this.#onClose(err),
      },
      { maxPending: options.maxPending, requestTimeoutMs: options.requestTimeoutMs, stats: this.stats },
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

  get ended(): boolean {
    return this.#ended;
  }

  get closed(): boolean {
    return this.#conn.closed;
  }

  get remoteAddress(): string | undefined {
    return this.#conn.socket.remoteAddress;
  }

  /** Sends `connect` and keeps the channel data. Called by EslServer. */
  async handshake(timeoutMs: number): Promise<void> {
    const reply = await this.#conn.request(simpleCommand('connect'), 'connect', { timeoutMs });
    if (reply.kind !== 'command-reply' || !reply.ok) throw new EslCommandError('connect', reply.kind === 'command-reply' ? reply.replyText : reply.body);
    const headers: Array<[string, string]> = [];
    for (const [name, value] of reply.headers) if (!REPLY_HEADERS.has(name)) headers.push([name, value]);
    this.#channelData = new EslEvent(headers);
    this.#socketMode = reply.headers.get('Socket-Mode');
    this.#control = reply.headers.get('Control');
  }

  /** Destroys the socket at once (no exit). */
  destroy(): void {
    this.#conn.destroy();
  }

  /** Sends `exit` (FreeSWITCH closes the socket) and waits for the close. */
  async close(opts: CommandOptions = {}): Promise<void> {
    if (this.#conn.closed) return;
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
  hangup(cause = 'NORMAL_CLEARING', opts?: CommandOptions): Promise<CommandReplyFrame> {
    return this.sendmsg(undefined, { callCommand: 'hangup', headers: { 'hangup-cause': cause } }, opts);
  }

  playback(file: string, opts?: ExecuteOptions): Promise<EslEvent> {
    return this.execute(undefined, 'playback', file, opts);
  }

  /** Runs play_and_get_digits and resolves with the digits collected ('' when none). */
  async playAndGetDigits(o: PlayAndGetDigitsOptions, opts?: ExecuteOptions): Promise<string> {
    const varName = o.varName ?? 'pagd_digits';
    const timeout = o.timeoutMs ?? 5000;
    const args = [o.min, o.max, o.tries ?? 3, timeout, o.terminators ?? '#', o.file, o.invalidFile ?? 'silence_stream://250', varName, o.regexp ?? '\\d+', o.digitTimeoutMs ?? timeout].map(String);
    for (const a of args) if (a === '' || /\s/.test(a)) throw new EslInvalidArgumentError(`play_and_get_digits argument ${JSON.stringify(a)} must be one word`);
    const done = await this.execute(undefined, 'play_and_get_digits', args.join(' '), opts);
    return done.getHeader(`variable_${varName}`) ?? '';
  }

  bridge(dialString: string, opts?: ExecuteOptions): Promise<EslEvent> {
    return this.execute(undefined, 'bridge', dialString, opts);
  }

  /** An invalid name rejects (EslInvalidArgumentError) without sending anything. */
  async set(name: string, value: string, opts?: ExecuteOptions): Promise<EslEvent> {
    checkVariableName(name);
    return this.execute(undefined, 'set', `${name}=${value}`, opts);
  }

  /**
   * Sets several variables (pipelined `set`s, in order). Every name is checked first: an invalid
   * one rejects EslInvalidArgumentError before any `set` is sent.
   */
  async setMany(vars: Readonly<Record<string, string>>, opts?: ExecuteOptions): Promise<void> {
    const entries = Object.entries(vars);
    for (const [name] of entries) checkVariableName(name);
    // execute() is async (never throws synchronously): every promise built here reaches Promise.all.
    await Promise.all(entries.map(([name, value]) => this.execute(undefined, 'set', `${name}=${value}`, opts)));
  }

  /** The variable's value (`getvar`); '' when unset. */
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
    if (!this.#ownMyevents || (uuid !== undefined && uuid !== this.uuid)) return super.myevents(uuid, format, opts);
    if (format !== undefined) checkToken('format', format);
    return commandReplyFrame(new Map([['Content-Type', ContentType.COMMAND_REPLY], ['Reply-Text', MYEVENTS_ENABLED]]));
  }

  protected override connectionFor(label: string): EslConnection {
    if (this.#conn.closed) throw new EslClosedError(`${label}: session closed`);
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

  #onFrame(frame: EslFrame): void {
    this.handleFrame(frame);
    if (frame.kind === 'disconnect-notice') this.#end();
  }

  #onClose(err: Error | undefined): void {
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
