/**
 * One Event Socket connection, inbound or outbound: mod_event_socket's listener_run and
 * read_packet. Commands run one at a time in arrival order; events and log lines wait in bounded
 * queues and are written only while no command is being read or run (never inside a reply),
 * like FreeSWITCH's listener thread does.
 */
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { CoreEvent, CoreLogLine, OutboundChannel } from '../core/types.js';
import { CommandReader, type CommandPacket } from './command-reader.js';
import { runCommand, type CommandContext } from './commands.js';
import type { EventHub, HubMember } from './event-hub.js';
import { OutputQueues } from './output-queues.js';
import { SessionState } from './session-state.js';
import { headerOf } from './subscriptions.js';
import type { EslUser, SessionLimits, WireCore, WireKnobs } from './types.js';
import { authRequest, commandReply, disconnectNotice, GOODBYE_TEXT, lingerNotice } from './wire-frames.js';

export interface SessionConfig {
  readonly core: WireCore;
  readonly hub: EventHub;
  readonly knobs: WireKnobs;
  readonly limits: SessionLimits;
  readonly password: string;
  readonly users: readonly EslUser[];
  readonly firstCommandTimeoutMs: number;
  /** Set for an outbound `socket` session: the channel it controls and the app's flags. */
  readonly outbound?: { readonly channel: OutboundChannel; readonly async: boolean; readonly full: boolean };
}

// Frames are written in batches of about this size, so a burst of events is a few writes.
const WRITE_BATCH_BYTES = 256 * 1024;
// How long a closing connection may take to flush its goodbye before it is cut.
const CLOSE_GRACE_MS = 2000;

export class EslSession implements HubMember, CommandContext {
  readonly state = new SessionState();
  readonly core: WireCore;
  readonly password: string;
  readonly users: readonly EslUser[];
  readonly knobs: WireKnobs;
  /** Resolves when the socket is closed, whoever closed it. */
  readonly closed: Promise<void>;

  readonly #socket: Socket;
  readonly #config: SessionConfig;
  readonly #reader: CommandReader;
  readonly #abort = new AbortController();
  #resolveClosed!: () => void;
  #pending: CommandPacket[] = [];
  #busy = false;
  readonly #out: OutputQueues;
  #firstDone = false;
  #ending = false;
  #channelDown = false;
  /** A static outbound session's channel hung up: noticed once the queued output is written. */
  #hangupSeen: CoreEvent | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #flushHandle: NodeJS.Immediate | undefined;
  #corked = false;

  constructor(socket: Socket, config: SessionConfig) {
    this.#socket = socket;
    this.#config = config;
    this.core = config.core;
    this.password = config.password;
    this.users = config.users;
    this.knobs = config.knobs;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#out = new OutputQueues(config.limits, config.hub, (text) => this.end(text));
    this.#reader = new CommandReader((packet) => {
      this.#pending.push(packet);
      void this.#pump();
    });
    if (config.outbound) {
      const s = this.state;
      s.authed = true;
      s.outbound = true;
      s.channel = config.outbound.channel;
      s.sessionUuid = config.outbound.channel.uuid;
      s.full = config.outbound.full;
      s.async = config.outbound.async;
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#reader.push(chunk));
    socket.on('drain', () => this.#flush());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClosed());
  }

  /** Greets (inbound) and arms the first-command timeout. */
  start(): void {
    this.#config.hub.add(this);
    if (!this.state.outbound) this.#write(authRequest());
    this.#timer(this.#config.firstCommandTimeoutMs, () => {
      if (!this.#firstDone) this.end(GOODBYE_TEXT);
    });
    this.#config.outbound?.channel.ended.then(
      () => this.#onChannelDown(undefined),
      () => this.#onChannelDown(undefined),
    );
  }

  /** Events and log lines queued but not yet written. */
  get queued(): { events: number; logs: number } {
    return { events: this.#out.events, logs: this.#out.logs };
  }

  // ---------------------------------------------------------------- hub side

  offerEvent(event: CoreEvent): void {
    if (this.#ending) return;
    const s = this.state;
    const own = s.channel?.uuid ?? s.sessionUuid;
    const uuid = event.uuid ?? headerOf(event, 'Unique-ID');
    if (s.events && s.subscription.matches(event) && s.filters.passes(event) && (!s.myEvents || this.#mine(event, uuid, own))) {
      if (this.#out.offerEvent(event, own)) this.#scheduleFlush();
    }
    if (own !== undefined && uuid === own) {
      if (event.name === 'CHANNEL_HANGUP_COMPLETE') this.#onChannelDown(event);
      else if (event.name === 'CHANNEL_HANGUP' && s.outbound && !s.async) {
        // A static session runs on the channel's thread, which cannot get to the rest of the
        // hangup until the session is over: read_packet's switch_channel_down ends it first.
        this.#hangupSeen = event;
        this.#scheduleFlush();
      }
    }
  }

  /** myevents: the controlled channel's events, and jobs it owns (Job-Owner-UUID). */
  #mine(event: CoreEvent, uuid: string | undefined, own: string | undefined): boolean {
    if (own !== undefined && headerOf(event, 'Job-Owner-UUID') === own) return true;
    return uuid !== undefined && uuid !== '' && (own === undefined || uuid === own);
  }

  offerLog(line: CoreLogLine): void {
    if (this.#ending || !this.state.log || line.level > this.state.logLevel) return;
    if (this.#out.offerLog(line)) this.#scheduleFlush();
  }

  // ---------------------------------------------------------------- command side

  discardQueued(what: 'events' | 'logs'): void {
    this.#out.discard(what);
  }

  async channelVariable(name: string): Promise<string | undefined> {
    const { channel, sessionUuid } = this.state;
    if (channel !== undefined) return channel.getVariable(name);
    if (sessionUuid === undefined) return undefined;
    const value = await this.core.api('uuid_getvar', `${sessionUuid} ${name}`);
    return value === '_undef_' || value.startsWith('-ERR') ? undefined : value;
  }

  channelData(): ReadonlyArray<readonly [string, string]> {
    const { channel, sessionUuid } = this.state;
    if (channel !== undefined) return channel.channelData();
    return sessionUuid === undefined ? [] : (this.core.channelEventHeaders(sessionUuid) ?? []);
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#pending.length > 0 && !this.#ending) await this.#handle(this.#pending.shift()!);
    } catch {
      // Only a cancelled reply delay gets here: the socket is closing anyway.
      this.#socket.destroy();
    } finally {
      this.#busy = false;
    }
    this.#flush();
  }

  async #handle(packet: CommandPacket): Promise<void> {
    const first = !this.#firstDone;
    this.#firstDone = true;
    const result = await runCommand(this, packet);
    const latency = this.knobs.replyLatencyMs;
    if (latency > 0) await delay(latency, undefined, { signal: this.#abort.signal });
    if (this.#ending) return;
    // An outbound socket's first command is run but its reply is not sent (listener_run does so).
    const unsent = first && this.state.outbound;
    if (result.kind === 'raw') {
      if (result.reply !== true || !unsent) this.#writeReply(result.data);
    } else if (!unsent) this.#writeReply(commandReply(result.text, result.extra));
    if (!this.state.running) this.end(GOODBYE_TEXT);
  }

  // ---------------------------------------------------------------- output

  #canFlush(): boolean {
    return (
      !this.#busy &&
      this.#pending.length === 0 &&
      !this.#reader.hasPartial &&
      !this.knobs.eventsPaused &&
      !this.#ending &&
      this.#socket.writable &&
      !this.#socket.writableNeedDrain
    );
  }

  #scheduleFlush(): void {
    if (this.#flushHandle !== undefined || this.#ending) return;
    this.#flushHandle = setImmediate(() => {
      this.#flushHandle = undefined;
      this.#flush();
    });
  }

  /** Writes queued log lines and events (what read_packet does while no command is arriving). */
  #flush(): void {
    if (!this.#canFlush()) return;
    this.#uncork(); // replies before the events that follow them, as FreeSWITCH orders them
    const hangup = this.#hangupSeen;
    this.#hangupSeen = undefined;
    if (hangup !== undefined) this.#onChannelDown(hangup);
    let parts: Buffer[] = [];
    let size = 0;
    const push = (frame: Buffer): boolean => {
      parts.push(frame);
      size += frame.length;
      if (size < WRITE_BATCH_BYTES) return true;
      this.#write(Buffer.concat(parts));
      parts = [];
      size = 0;
      return !this.#socket.writableNeedDrain;
    };
    const drained = this.#out.drain(this.state.format, push);
    if (drained === 'paused') return;
    if (parts.length > 0) this.#write(Buffer.concat(parts));
    if (drained === 'close') this.end(GOODBYE_TEXT);
  }

  #write(data: string | Buffer): void {
    if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(data);
  }

  /**
   * Command replies go out together at the end of this turn of the event loop: a client that
   * pipelines commands gets its replies in one segment instead of a write(2) each, so the
   * simulator's own syscalls do not cap a benchmark of its clients. Bytes and order are
   * unchanged; a reply is never held past the turn that produced it.
   */
  #writeReply(data: string | Buffer): void {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) return;
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      setImmediate(() => this.#uncork());
    }
    socket.write(data);
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#socket.uncork();
  }

  // ---------------------------------------------------------------- lifecycle

  /** The channel went down: linger (notice, keep serving) or say goodbye after the queued events. */
  #onChannelDown(event: CoreEvent | undefined): void {
    if (this.#channelDown || this.#ending) return;
    this.#channelDown = true;
    const s = this.state;
    if (s.linger) {
      const uuid = s.channel?.uuid ?? s.sessionUuid ?? '';
      const name = (event && headerOf(event, 'Channel-Name')) ?? '';
      this.#out.pushNotice(lingerNotice(uuid, name, s.lingerSeconds));
      if (s.lingerSeconds !== -1) this.#timer(s.lingerSeconds * 1000, () => this.end(GOODBYE_TEXT));
    } else {
      this.#out.pushClose();
    }
    this.#scheduleFlush();
  }

  #timer(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  /** FreeSWITCH's end of a connection: queues dropped, a disconnect notice, then the socket closed. */
  end(message: string): void {
    if (this.#ending) return;
    this.#stopWork();
    const own = this.state.channel?.uuid ?? this.state.sessionUuid;
    if (!this.#socket.writable) {
      this.#socket.destroy();
      return;
    }
    this.#socket.end(disconnectNotice(message, own), () => this.#socket.destroy());
    // A peer that stops reading must not keep the socket (and a stop()) waiting forever.
    const guard = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
    guard.unref();
    this.#socket.once('close', () => clearTimeout(guard));
  }

  /** Closes without a word (a listener that missed too many events, or a dropped connection). */
  #kill(): void {
    this.#stopWork();
    this.#uncork();
    this.#socket.destroy();
  }

  drop(): void {
    this.#kill();
  }

  /** Retries writing queued output (after event delivery was resumed). */
  kick(): void {
    this.#scheduleFlush();
  }

  #stopWork(): void {
    this.#ending = true;
    this.#config.hub.remove(this);
    this.#out.clear();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#flushHandle !== undefined) clearImmediate(this.#flushHandle);
    this.#flushHandle = undefined;
    this.#abort.abort();
    // The listener is gone: the session it locked (inbound myevents) may now be destroyed.
    const release = this.state.releaseSession;
    this.state.releaseSession = undefined;
    release?.();
  }

  #onClosed(): void {
    this.#stopWork();
    this.#resolveClosed();
  }
}
