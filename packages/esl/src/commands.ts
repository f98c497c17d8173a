/**
 * Every Event Socket command, typed and promise-based, on top of a connection supplied by the
 * subclass (the inbound client's current socket, or an outbound session's socket).
 */
import { randomUUID } from 'node:crypto';
import type { BgapiOptions, BgapiResult, CommandOptions, EventSubscription, ExecuteOptions } from './command-options.js';
import { bgapiCommand, checkLine, checkToken, executeMsg, sendeventCommand, sendmsgCommand, simpleCommand, type SendMsg } from './command-text.js';
import type { EslConnection, ReplyFrame } from './connection.js';
import { EslCommandError, EslInvalidArgumentError, EslProtocolError, EslSubscriptionRefusedError } from './errors.js';
import type { EventFormat } from './event-codec.js';
import { eventWords } from './event-names.js';
import { EslEvent } from './event.js';
import { EslEventHub, type EslHubEvents, type SignalNames } from './event-hub.js';
import { ExecuteLoop } from './execute-loop.js';
import type { CommandReplyFrame } from './frame.js';
import { SelfDelivery, type Refusal } from './self-delivery.js';
import { SubscriptionState } from './subscription-state.js';
import { runsOnHungUpChannel } from './zombie-apps.js';

const EVENT_FORMATS: readonly string[] = ['plain', 'json', 'xml'];

/**
 * mod_event_socket's reply to `getvar` when it has nothing to write (an unset or empty variable, no
 * name): its fallthrough for an empty reply. Any other Reply-Text is the value.
 */
export const GETVAR_UNSET = '-ERR command not found';

/** The events bgapi and execute subscribe to for their results when the user's subscription does not deliver them. */
const BGAPI_NEEDS: readonly string[] = ['BACKGROUND_JOB'];
const EXECUTE_NEEDS: readonly string[] = ['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP_COMPLETE'];
const EXECUTE_LOOPS_NEEDS: readonly string[] = ['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_EXECUTE', 'CHANNEL_HANGUP_COMPLETE'];

/*
 * Argument checks of the public calls, for JavaScript callers (and those porting modesl, which
 * takes callbacks): a typeof or two on the way in; messages are built only for a refusal.
 */

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'undefined' ? 'undefined' : type === 'object' ? 'an object' : `a ${type}`;
}

function callbackRefusal(label: string): EslInvalidArgumentError {
  return new EslInvalidArgumentError(`${label}: got a function (a callback?): @fsbus/esl takes no callbacks, each call returns a promise (await it, or .then(callback))`);
}

/** `hint`: what else to say, e.g. the argument order. */
function typeRefusal(label: string, what: string, expected: string, value: unknown, hint = ''): EslInvalidArgumentError {
  return typeof value === 'function' ? callbackRefusal(label) : new EslInvalidArgumentError(`${label}: ${what} must be ${expected}, not ${kind(value)}${hint}`);
}

export function checkString(label: string, what: string, value: unknown, hint?: string): asserts value is string {
  if (typeof value !== 'string') throw typeRefusal(label, what, 'a string', value, hint);
}

export function checkOptionalString(label: string, what: string, value: unknown): asserts value is string | undefined {
  if (value !== undefined && typeof value !== 'string') throw typeRefusal(label, what, 'a string or undefined', value);
}

/** The last argument, `opts`: undefined or an object. */
export function checkOptions(label: string, opts: unknown, hint?: string): void {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) throw typeRefusal(label, 'options', 'an object such as { timeoutMs, signal }', opts, hint);
}

/** modesl's api/bgapi took the command's arguments apart: here they are in the one string. */
const ONE_STRING = " (the command's arguments go in the command string: modesl's api('uuid_kill', uuid) is api('uuid_kill ' + uuid))";

export function checkObject(label: string, what: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) throw typeRefusal(label, what, 'an object', value);
}

/** `events`/`nixevent` names: an array, or modesl's form (one string, names separated by spaces). */
function eventNameList(label: string, names: unknown): readonly string[] {
  const list: unknown = typeof names === 'string' ? names.split(' ').filter((n) => n !== '') : names;
  if (!Array.isArray(list)) throw typeRefusal(label, 'names', "an array of event names or one string of them separated by spaces (e.g. ['CHANNEL_ANSWER'] or 'CHANNEL_ANSWER CHANNEL_HANGUP')", names);
  for (const n of list as unknown[]) {
    if (typeof n !== 'string') throw typeRefusal(label, 'an event name', 'a string', n);
    checkToken('event name', n);
  }
  return list as readonly string[];
}

/** myevents' arguments (EslSession's override answers some calls itself: it checks them too). */
export function checkMyevents(uuid: unknown, format: unknown, opts: unknown): void {
  checkOptionalString('myevents', 'uuid', uuid);
  checkOptionalString('myevents', 'format', format);
  checkOptions('myevents', opts);
}

export abstract class EslCommands<Events extends EslHubEvents & { [K in keyof Events]: unknown[] }> extends EslEventHub<Events> {
  protected readonly subs = new SubscriptionState();
  protected readonly requestTimeoutMs: number;
  readonly #delivery: SelfDelivery;

  constructor(logger: ConstructorParameters<typeof EslEventHub>[0], eventQueueLimit: number, requestTimeoutMs: number, signals: SignalNames<Events>) {
    super(logger, eventQueueLimit, signals);
    this.requestTimeoutMs = requestTimeoutMs;
    this.#delivery = new SelfDelivery(this.subs, logger, (conn, line) => this.send(conn, simpleCommand(line), line), (name) => this.resultSubscription(name));
  }

  /**
   * The command that turns on `name` (a bgapi or execute result) when the user's subscription
   * does not deliver it. An outbound session without `full` overrides it: FreeSWITCH refuses
   * `event` there.
   */
  protected resultSubscription(name: string): string {
    return `event ${this.subs.format ?? 'plain'} ${name}`;
  }

  /**
   * bgapi/execute results reach the user's listeners only when the user's subscription delivers
   * them: by `event` (every channel), or by `myevents` (on an outbound session, its own channel
   * only: the library's own `event` subscription there is switch-wide).
   */
  protected override deliversToUser(event: EslEvent): boolean {
    const name = event.name;
    if (this.subs.isSubscribedByEvent(name)) return true;
    if (!this.subs.isSubscribed(name)) return false;
    const own = this.channelUuid();
    return own === undefined || event.uuid === own;
  }

  /** The connection to send on; throws EslClosedError when there is none ready. */
  protected abstract connectionFor(label: string): EslConnection;

  /** The socket changed: what bgapi/execute set up for themselves, and what the re-apply confirmed, are gone with it. */
  protected resetInternalState(): void {
    this.#delivery.reset();
    this.subs.forgetReplayed();
  }

  protected send(conn: EslConnection, text: string, label: string, opts: CommandOptions = {}, holdsLine = false): Promise<ReplyFrame> {
    return conn.request(text, label, { timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs, signal: opts.signal, holdsLine });
  }

  async #command(line: string, opts: CommandOptions | undefined, check: boolean): Promise<CommandReplyFrame> {
    return this.#commandText(simpleCommand(line), line.split(' ', 1)[0]!, opts, check);
  }

  /** A command already built (and so checked) before the state it changes is recorded. */
  async #commandText(text: string, label: string, opts: CommandOptions | undefined, check: boolean): Promise<CommandReplyFrame> {
    const reply = await this.send(this.connectionFor(label), text, label, opts);
    return this.#expectCommandReply(reply, label, check);
  }

  #expectCommandReply(reply: ReplyFrame, label: string, check: boolean): CommandReplyFrame {
    if (reply.kind !== 'command-reply') throw new EslProtocolError(`${label}: expected a command/reply, got an api/response`);
    if (check && (reply.replyText.startsWith('-ERR') || reply.replyText.startsWith('-USAGE'))) throw new EslCommandError(label, reply.replyText);
    return reply;
  }

  /** `api <command>`: the raw api/response body (an `-ERR …` body is returned, not thrown). */
  async api(command: string, opts?: CommandOptions): Promise<string> {
    checkString('api', 'command', command);
    checkOptions('api', opts, ONE_STRING);
    const text = simpleCommand(`api ${command}`);
    const reply = await this.send(this.connectionFor('api'), text, `api ${command}`, opts);
    return reply.kind === 'api-response' ? reply.body : reply.replyText;
  }

  /**
   * `bgapi <command>` with our own Job-UUID; resolves with the BACKGROUND_JOB result. Works
   * whatever the user's subscription and filters are: subscribes/filters for itself while
   * the job runs and restores the state after.
   */
  async bgapi(command: string, opts: BgapiOptions = {}): Promise<BgapiResult> {
    checkString('bgapi', 'command', command);
    checkOptions('bgapi', opts, ONE_STRING);
    checkOptionalString('bgapi', 'jobUuid', opts.jobUuid);
    const jobUuid = opts.jobUuid ?? randomUUID();
    const text = bgapiCommand(command, jobUuid);
    const label = `bgapi ${command}`;
    const conn = this.connectionFor('bgapi');
    this.#refusedBefore(label, BGAPI_NEEDS);
    const wait = this.waitForJob(jobUuid, label, opts.timeoutMs ?? this.requestTimeoutMs, opts.signal);
    // Refused, it rejects the wait; the bgapi's own `-ERR`, if any, still comes first (awaited first).
    const release = this.#delivery.acquire(conn, 'BACKGROUND_JOB', 'Job-UUID', jobUuid, true, (r) => wait.fail(new EslSubscriptionRefusedError(label, r, false, BGAPI_NEEDS)));
    try {
      const reply = this.#expectCommandReply(await this.send(conn, text, label, opts), 'bgapi', true);
      const event = await wait.promise;
      return { jobUuid: reply.headers.get('Job-UUID') ?? jobUuid, body: event.body ?? '' };
    } finally {
      wait.cancel();
      release();
    }
  }

  /** Sends a raw one-line command and resolves with its reply, whatever it says. An empty line rejects EslInvalidArgumentError. */
  async sendRecv(command: string, opts?: CommandOptions): Promise<ReplyFrame> {
    checkString('sendRecv', 'command', command);
    checkOptions('sendRecv', opts);
    const text = simpleCommand(command);
    const label = command.split(' ', 1)[0]!;
    return this.send(this.connectionFor(label), text, label, opts);
  }

  /**
   * `event <format> <names…>` (adds to the subscription; `CUSTOM` then subclasses for custom events).
   * `names` may also be modesl's form: one string, names separated by spaces (`'ALL'`).
   */
  async events(format: EventFormat, names: readonly EventSubscription[] | string, opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkString('events', 'format', format);
    if (!EVENT_FORMATS.includes(format)) throw new EslCommandError('event', `-ERR unknown format ${format}`);
    const words = eventNameList('events', names);
    checkOptions('events', opts);
    // Built first: a line the library refuses leaves the recorded subscription as it was.
    const text = simpleCommand(`event ${format} ${words.join(' ')}`);
    const replayed = this.#replayed(this.subs.replayedEventReply(format, words), opts, 'event');
    if (replayed !== undefined) return replayed;
    this.#stateChanges();
    // Recorded before the reply so a concurrent bgapi sees it (it must not subscribe and nix it).
    this.subs.onEvents(format, words);
    try {
      return await this.#commandText(text, 'event', opts, true);
    } catch (err) {
      if (err instanceof EslCommandError) this.subs.onNixevent(words);
      throw err;
    }
  }

  /** `nixevent <names…>`; `names` as for events. */
  async nixevent(names: readonly EventSubscription[] | string, opts?: CommandOptions): Promise<CommandReplyFrame> {
    const words = eventNameList('nixevent', names);
    checkOptions('nixevent', opts);
    const text = simpleCommand(`nixevent ${words.join(' ')}`);
    this.#stateChanges();
    this.subs.onNixevent(words);
    const reply = this.#commandText(text, 'nixevent', opts, true);
    // Pending bgapi/execute results whose event this turns off (ALL: every one) are turned on again.
    const off = new Set<string>();
    for (const { name } of eventWords(words)) if (name !== undefined) off.add(name);
    this.#internal((conn) => this.#delivery.restoreSubscriptions(conn, (name) => off.has('ALL') || off.has(name)));
    return reply;
  }

  async noevents(opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkOptions('noevents', opts);
    this.#stateChanges();
    this.subs.onNoevents();
    const reply = this.#command('noevents', opts, true);
    this.#internal((conn) => this.#delivery.restoreSubscriptions(conn, () => true));
    return reply;
  }

  /** `filter <header> <value>`: once any filter is set, FreeSWITCH sends only matching events. */
  async filter(header: string, value: string, opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkString('filter', 'header', header);
    // Without a value FreeSWITCH would filter on the word "undefined": no event would pass.
    checkString('filter', 'value', value, ' (filter <header> <value>; filterDelete removes filters)');
    checkOptions('filter', opts);
    checkToken('filter header', header);
    checkLine('filter value', value);
    const line = `filter ${header} ${value}`;
    const text = simpleCommand(line);
    const replayed = this.#replayed(this.subs.replayedReply(line), opts, 'filter');
    if (replayed !== undefined) return replayed;
    this.#stateChanges();
    this.subs.onFilter(header, value);
    // A first filter would block pending bgapi/execute results: their own filters go first.
    this.#internal((conn) => this.#delivery.syncFilters(conn));
    try {
      return await this.#commandText(text, 'filter', opts, true);
    } catch (err) {
      if (err instanceof EslCommandError) {
        this.subs.onFilterDelete(header, value);
        this.#internal((conn) => this.#delivery.syncFilters(conn));
      }
      throw err;
    }
  }

  /** `filter delete <header> [<value>]`; `filterDelete('all')` removes every filter. */
  async filterDelete(header: string, value?: string, opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkString('filterDelete', 'header', header);
    checkOptionalString('filterDelete', 'value', value);
    checkOptions('filterDelete', opts);
    checkToken('filter header', header);
    if (value !== undefined) checkLine('filter value', value);
    const text = simpleCommand(value === undefined ? `filter delete ${header}` : `filter delete ${header} ${value}`);
    this.#stateChanges();
    this.subs.onFilterDelete(header, value);
    // With no filter of the user's left, ours go first: alone, they would let only our results through.
    if (!this.subs.hasFilters) this.#internal((conn) => this.#delivery.syncFilters(conn));
    const reply = this.#commandText(text, 'filter', opts, true);
    this.#delivery.onUserFilterDelete(header, value);
    this.#internal((conn) => this.#delivery.syncFilters(conn));
    return reply;
  }

  /** `sendevent <name>` with the event's headers and body; resolves with the Reply-Text (`+OK <uuid>`). */
  async sendevent(event: EslEvent, opts?: CommandOptions): Promise<string> {
    if (!(event instanceof EslEvent)) throw typeRefusal('sendevent', 'event', 'an EslEvent (EslEvent.create(name, subclass))', event);
    checkOptions('sendevent', opts);
    const text = sendeventCommand(event);
    const reply = await this.send(this.connectionFor('sendevent'), text, `sendevent ${event.name}`, opts);
    return this.#expectCommandReply(reply, 'sendevent', true).replyText;
  }

  /**
   * `sendmsg [<uuid>]` with a call-command; `-ERR` rejects with EslCommandError. An `execute` that
   * FreeSWITCH runs before replying (a `static` outbound session's own channel, no `async`) is,
   * like `execute`, bounded by `timeoutMs` alone.
   */
  async sendmsg(uuid: string | undefined, msg: SendMsg, opts: CommandOptions = {}): Promise<CommandReplyFrame> {
    checkOptionalString('sendmsg', 'uuid', uuid);
    checkObject('sendmsg', 'msg', msg);
    checkString('sendmsg', 'callCommand', msg.callCommand);
    checkOptions('sendmsg', opts);
    const text = sendmsgCommand(uuid, msg);
    const inline = msg.callCommand === 'execute' && msg.async !== true && this.#runsInline(uuid);
    const wait = inline && opts.timeoutMs === undefined ? Object.assign({}, opts, { timeoutMs: 0 }) : opts;
    const reply = await this.send(this.connectionFor('sendmsg'), text, `sendmsg ${msg.callCommand}`, wait, inline);
    return this.#expectCommandReply(reply, 'sendmsg', true);
  }

  /**
   * Runs a dialplan application and resolves with its CHANNEL_EXECUTE_COMPLETE (matched by the
   * Event-UUID we send; with `loops`, that of the last run: see ExecuteOptions.loops).
   * `timeoutMs` bounds the whole wait; without it the reply is bounded by requestTimeoutMs (not at
   * all on a `static` outbound session, whose reply comes after the application) and the
   * completion by the channel's life (its hangup rejects the wait).
   */
  async execute(uuid: string | undefined, app: string, arg?: string, opts: ExecuteOptions = {}): Promise<EslEvent> {
    return this.#execute(uuid, app, arg, opts, false);
  }

  /**
   * `execute` with `async: true` (the application is queued to the channel, so the socket is not
   * blocked while it runs); resolves with its CHANNEL_EXECUTE_COMPLETE, like execute. On a
   * `static` outbound session's own channel it rejects EslInvalidArgumentError before sending:
   * FreeSWITCH runs what is queued there only once the session is over. To dispatch without
   * waiting: `sendmsg(uuid, { callCommand: 'execute', headers: { 'execute-app-name': app, … }, async: true })`.
   */
  async executeAsync(uuid: string | undefined, app: string, arg?: string, opts: ExecuteOptions = {}): Promise<EslEvent> {
    return this.#execute(uuid, app, arg, opts, true);
  }

  async #execute(uuid: string | undefined, app: string, arg: string | undefined, opts: ExecuteOptions, async: boolean): Promise<EslEvent> {
    const name = async ? 'executeAsync' : 'execute';
    checkOptionalString(name, 'uuid', uuid);
    checkString(name, 'app', app, ` (the order is ${name}(uuid, app, arg?, opts?), uuid undefined for an outbound session's own channel; modesl's was (app, arg, uuid))`);
    checkOptionalString(name, 'arg', arg);
    checkOptions(name, opts);
    checkOptionalString(name, 'eventUuid', opts.eventUuid);
    const eventUuid = opts.eventUuid ?? randomUUID();
    // Object.assign, not `{ ...opts, … }`: Node 20's V8 builds that slowly (docs/benchmarks.md).
    const text = sendmsgCommand(uuid, executeMsg(app, arg, eventUuid, async ? Object.assign({}, opts, { async: true }) : opts));
    const label = `${name} ${app}`;
    const conn = this.connectionFor('execute');
    const refusal = this.executeRefusal(uuid, app, async, label);
    if (refusal !== undefined) throw refusal;
    const channel = uuid ?? this.channelUuid();
    const loop = opts.loops !== undefined && opts.loops > 1 ? new ExecuteLoop(opts.loops) : undefined;
    const needs = loop === undefined ? EXECUTE_NEEDS : EXECUTE_LOOPS_NEEDS;
    this.#refusedBefore(label, needs, channel === undefined ? 'CHANNEL_HANGUP_COMPLETE' : undefined);
    const wait = this.waitForExecute(eventUuid, channel, app, label, opts.timeoutMs ?? 0, opts.signal, loop, runsOnHungUpChannel(app));
    // Any of them refused, nothing would settle the wait in the end (the completion cannot come,
    // or the hangup that ends a wait for an application that never runs): it rejects. sendmsg's
    // own `-ERR`, if any, still comes first (awaited first).
    const refused = (r: Refusal): void => wait.fail(new EslSubscriptionRefusedError(label, r, false, needs));
    const release = this.#delivery.acquire(conn, 'CHANNEL_EXECUTE_COMPLETE', 'Application-UUID', eventUuid, true, refused);
    // Each run's start tells how long it took; the filter above (on Application-UUID) lets it through.
    const releaseRuns = loop === undefined ? undefined : this.#delivery.acquire(conn, 'CHANNEL_EXECUTE', 'Application-UUID', eventUuid, false, refused);
    // An application that never runs (unknown name: FreeSWITCH hangs the channel up; a channel
    // gone before its turn) fires no completion: the hangup is what ends the wait. Subscribed
    // only, not filtered: a Unique-ID filter would let all of the channel's events through.
    const releaseHangup = channel === undefined ? undefined : this.#delivery.acquire(conn, 'CHANNEL_HANGUP_COMPLETE', 'Unique-ID', channel, false, refused);
    try {
      const inline = !async && this.#runsInline(uuid);
      const replyWait = inline && opts.timeoutMs === undefined ? Object.assign({}, opts, { timeoutMs: 0 }) : opts;
      this.#expectCommandReply(await this.send(conn, text, label, replyWait, inline), 'execute', true);
      return await wait.promise;
    } finally {
      wait.cancel();
      release();
      releaseRuns?.();
      releaseHangup?.();
    }
  }

  /**
   * `myevents [<uuid>] [<format>]`: only the events of one channel (inbound needs the uuid). A
   * uuid always goes with a format word (the connection's event format when none is given, else `plain`): without one FreeSWITCH
   * answers `+OK` for a channel that does not exist and then sends the events of every channel.
   */
  async myevents(uuid?: string, format?: EventFormat, opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkMyevents(uuid, format, opts);
    const parts = ['myevents'];
    if (uuid !== undefined) parts.push(checkToken('uuid', uuid), checkToken('format', format ?? this.subs.format ?? 'plain'));
    else if (format !== undefined) parts.push(checkToken('format', format));
    const line = parts.join(' ');
    const replayed = this.#replayed(this.subs.replayedReply(line), opts, 'myevents');
    if (replayed !== undefined) return replayed;
    this.#stateChanges();
    const reply = await this.#command(line, opts, true);
    this.subs.myevents = line;
    return reply;
  }

  async divertEvents(on: boolean, opts?: CommandOptions): Promise<CommandReplyFrame> {
    // A truthy 'off' would turn it on.
    if (typeof on !== 'boolean') throw typeRefusal('divertEvents', 'on', 'a boolean', on);
    checkOptions('divertEvents', opts);
    const line = `divert_events ${on ? 'on' : 'off'}`;
    const replayed = this.#replayed(this.subs.replayedReply(line), opts, 'divert_events');
    if (replayed !== undefined) return replayed;
    this.#stateChanges();
    const reply = await this.#command(line, opts, true);
    this.subs.divert = on;
    return reply;
  }

  /** `linger [<seconds>]` (outbound, `full` sockets only: FreeSWITCH answers `-ERR command not found` otherwise). */
  async linger(seconds?: number, opts?: CommandOptions): Promise<CommandReplyFrame> {
    if (seconds !== undefined && !(typeof seconds === 'number' && seconds >= 0 && seconds !== Infinity)) {
      throw typeRefusal('linger', 'seconds', 'a number of 0 or more (none: linger until exit)', seconds);
    }
    checkOptions('linger', opts);
    return this.#command(seconds === undefined ? 'linger' : `linger ${Math.trunc(seconds)}`, opts, true);
  }

  async nolinger(opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkOptions('nolinger', opts);
    return this.#command('nolinger', opts, true);
  }

  /** `log <level>` (0-7 or a name like `debug`): log/data frames arrive as 'log'. */
  async log(level: number | string, opts?: CommandOptions): Promise<CommandReplyFrame> {
    if (typeof level !== 'number' && typeof level !== 'string') throw typeRefusal('log', 'level', 'a number or a string', level);
    checkOptions('log', opts);
    const value = checkToken('log level', String(level));
    const replayed = this.#replayed(this.subs.replayedReply(`log ${value}`), opts, 'log');
    if (replayed !== undefined) return replayed;
    this.#stateChanges();
    const reply = await this.#command(`log ${value}`, opts, true);
    this.subs.logLevel = value;
    return reply;
  }

  async nolog(opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkOptions('nolog', opts);
    this.#stateChanges();
    this.subs.logLevel = undefined;
    return this.#command('nolog', opts, true);
  }

  async resume(opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkOptions('resume', opts);
    return this.#command('resume', opts, true);
  }

  /**
   * `getvar <name>` (outbound): the Reply-Text is the value, as it is (`-ERR nope` included:
   * mod_event_socket writes the value itself). Rejects EslCommandError only on FreeSWITCH's
   * `-ERR command not found`: an unset or empty variable, or no outbound session.
   */
  async getvar(name: string, opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkString('getvar', 'name', name);
    checkOptions('getvar', opts);
    const reply = await this.#command(`getvar ${checkToken('variable name', name)}`, opts, false);
    if (reply.replyText === GETVAR_UNSET) throw new EslCommandError('getvar', reply.replyText);
    return reply;
  }

  /** `exit`: FreeSWITCH answers `+OK bye`, sends a disconnect-notice and closes. */
  async exit(opts?: CommandOptions): Promise<CommandReplyFrame> {
    checkOptions('exit', opts);
    return this.#command('exit', opts, true);
  }

  /**
   * What the reconnect's re-apply already got accepted, unchanged since, is not sent again (a user
   * subscribing again on 'ready' would double it): FreeSWITCH's reply to the re-apply answers it.
   */
  #replayed(reply: CommandReplyFrame | undefined, opts: CommandOptions | undefined, label: string): CommandReplyFrame | undefined {
    if (reply === undefined || opts?.signal?.aborted === true) return undefined;
    // Only while that socket is the one in use: not connected, it rejects as a send would.
    this.connectionFor(label);
    return reply;
  }

  /**
   * A command that sets subscription state is about to be sent: from now on the state is no longer
   * what the re-apply confirmed, so nothing more is answered from it (a call made while an earlier
   * one awaits its reply would otherwise be answered from a state that is about to change).
   */
  #stateChanges(): void {
    this.subs.forgetReplayed();
  }

  /**
   * A subscription the call needs was refused earlier on this connection: it rejects before
   * sending anything, as FreeSWITCH would refuse it again (it reads the allowed events at userauth).
   */
  #refusedBefore(label: string, needs: readonly string[], unused?: string): void {
    for (const name of needs) {
      const refusal = name === unused ? undefined : this.#delivery.refusal(name);
      if (refusal !== undefined) throw new EslSubscriptionRefusedError(label, refusal, true, needs);
    }
  }

  /** Runs an internal step (SelfDelivery) on the current connection; none ready, nothing to do. */
  #internal(step: (conn: EslConnection) => void): void {
    let conn: EslConnection;
    try {
      conn = this.connectionFor('internal');
    } catch {
      return;
    }
    step(conn);
  }

  /**
   * Whether FreeSWITCH answers an execute only once the application has run: an outbound socket
   * in `static` mode runs it inside the command (a `bridge` may last hours), so its reply is then
   * bounded by `timeoutMs` alone, not by requestTimeoutMs, and the commands behind it wait for it
   * before their own requestTimeoutMs starts (FreeSWITCH reads them only after).
   */
  protected repliesAfterExecution(): boolean {
    return false;
  }

  /** Why an execute must not be sent (it would never complete), or undefined. */
  protected executeRefusal(_uuid: string | undefined, _app: string, _async: boolean, _label: string): Error | undefined {
    return undefined;
  }

  /** A non-async sendmsg to `uuid` runs inline: a `static` outbound session's own channel. */
  #runsInline(uuid: string | undefined): boolean {
    return this.repliesAfterExecution() && (uuid === undefined || uuid === this.channelUuid());
  }

  /** The channel an outbound session controls; inbound has none. */
  protected channelUuid(): string | undefined {
    return undefined;
  }
}
