/**
 * The Redis driver. Lanes are streams `<ns>:lane:<subject>` read with XREADGROUP: a competing lane
 * shares one consumer group (each entry to one server), any other lane gives every server a group
 * of its own. Every publish runs one Lua script that XADDs to the lane streams serving the subject
 * and PUBLISHes the bytes on the subject (events, forward_to). Replies go to the requester's own
 * stream `<ns>:reply:<client id>` (expires when idle) with the request's correlation id; a lane
 * entry naming any other key as its reply address is not run (redis-reply-address.ts).
 * Durable event streams (redis-durable.ts): a publish whose subject an ensured stream takes is
 * also appended to `<ns>:stream:<name>` by the same script call (no extra round trip). At most a
 * window of publishes is awaiting Redis's replies (pending-bytes.ts); what follows waits in the
 * bounded outbox.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { errorFields, LogThrottle } from '@fsbus/esl';
import { backoffMs, BaseDriver, DEFAULT_CONNECT_TIMEOUT_MS, urlList } from '../base-driver.js';
import { connectError, connectWithin, deadlineOf, lateBy, livenessIntervalOption, timeLimit } from '../driver-core.js';
import type { ConsumeDurableOptions, DriverCapabilities, DriverOptions, DurableMessage, InboundMessage, Lane, ServeHandler, StreamSpec, Subscription } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertTlsFilesReadable } from '../../tls-material.js';
import type { OutboxItem } from '../../outbox.js';
import { PendingBytes } from '../../pending-bytes.js';
import { writeWindowBytes } from '../../defaults.js';
import { ensureRedisStream, restoreRedisStreams, StreamReader, StreamRoutes, type StreamCommands } from './redis-durable.js';
import { CLAIM_SCRIPT, LEAVE_SCRIPT, MARK_SCRIPT, POSITION_SCRIPT, REPLY_SCRIPT, ROUTE_SCRIPT, ROUTED_BEFORE } from './redis-scripts.js';
import { ensureGroup, laneEntry, readLane, readReplies, type LaneEntry, type LaneStream } from './redis-streams.js';
import { leaveLane, stopReading, type LeaveCommand } from './redis-lane-leave.js';
import { expiresRefusal, REFUSED_EXPIRES_LOG } from './redis-expires.js';
import { abandon, redisOptions, takesCommands, untilClosed } from './redis-util.js';
import { PubSubRoutes } from './redis-pubsub.js';
import { LIVENESS_DEAD_AFTER_MS, LIVENESS_INTERVAL_MS, RedisLiveness } from './redis-liveness.js';
import { ServingMarks, servingKey, type MarkCommand } from './redis-serving.js';
import { ROUTE_OVERHEAD_BYTES, routeArgs, routeSubjectProblem } from './redis-publish.js';
import { REFUSED_REPLY_ADDRESS_LOG, ReplyAddresses, replyStreamKey } from './redis-reply-address.js';
import { assertPattern } from '../../subject-pattern.js';

/** @default 'freeswitch' */
export const DEFAULT_REDIS_NAMESPACE = 'freeswitch';
/** A reply stream nobody reads expires after this. @default 60000 */
export const REPLY_TTL_MS = 60_000;
export { LANE_STREAM_MAXLEN, ROUTED_MARK_TTL_MS } from './redis-publish.js';
/**
 * What close() waits for Redis, goodbye and QUIT together, before it drops the connections: as long
 * as the dead-link check lets a PING go unanswered (that check stops with close(), and a link that
 * hangs without closing answers nothing, ever) — two `livenessIntervalMs` when that is given.
 * @default 10000
 */
export const CLOSE_TIMEOUT_MS = LIVENESS_DEAD_AFTER_MS;

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: true,
  scatterGather: true,
  promptNoResponders: true,
};

interface Scripted extends StreamCommands, MarkCommand, LeaveCommand {
  fsbusRoute(...args: Array<string | Buffer | number>): Promise<[number, number, string]>;
  fsbusReply(key: string, ...args: Array<string | Buffer | number>): Promise<number>;
}

interface LaneReader extends LaneStream {
  subject: string;
  competing: boolean;
  handler: ServeHandler;
  /** Its readLane: ends once it drains or is stopped. */
  loop: Promise<void>;
}

export function createRedisDriver(options: DriverOptions): RedisDriver {
  return new RedisDriver(options);
}

export class RedisDriver extends BaseDriver {
  readonly name = 'redis';
  readonly capabilities = CAPABILITIES;
  readonly #ns: string;
  readonly #id = randomUUID().replace(/-/g, '').slice(0, 16);
  readonly #url: string;
  readonly #subs: PubSubRoutes;
  readonly #lanes = new Set<LaneReader>();
  readonly #ops = new Set<Promise<unknown>>();
  readonly #streams: StreamRoutes;
  /** The specs ensureStream() was given: registered again after every reconnect (a Redis restarted empty lost them). */
  readonly #ensured = new Map<string, StreamSpec>();
  readonly #replyAddresses: ReplyAddresses;
  /** Counts and logs a request refused for its `expires` (redis-expires.ts). */
  readonly #badExpires: (fields: Record<string, unknown>) => void;
  readonly #readers = new Set<StreamReader>();
  /** Lanes being left by their unsubscribe(): close() waits for them. */
  readonly #leaving = new Set<Promise<void>>();
  #cmd: (Redis & Scripted) | undefined;
  #sub: Redis | undefined;
  #replyConn: Redis | undefined;
  /** Ends the reply reader's loop wherever it waits (its connection may be dialling again). */
  #replyStop: AbortController | undefined;
  #restoreGen = 0;
  /** The restore under way (#restore), and whether another was asked for meanwhile. */
  #restoring: Promise<void> | undefined;
  #restoreAgain = false;
  #laneSeq = 0;
  /**
   * Publishes whose reply has not come. One count for every connection: ioredis keeps a command
   * across reconnects and sends it again (it is settled then), before the driver's outbox.
   */
  readonly #window = new PendingBytes(writeWindowBytes(this.options.bufferBytes), () => this.releaseHeld());
  readonly #liveness = new RedisLiveness(() => this.#cmd, livenessIntervalOption(this.options, LIVENESS_INTERVAL_MS), (silentMs) => this.#linkDead(silentMs));
  readonly #marks = new ServingMarks(() => this.#cmd, this.#id, () => [...this.#lanes].map((r) => servingKey(this.#ns, r.subject)), (error) => this.emit({ type: 'error', error }));

  constructor(options: DriverOptions) {
    super(options);
    assertTlsFilesReadable(options.tls);
    this.#ns = options.namespace ?? DEFAULT_REDIS_NAMESPACE;
    this.#streams = new StreamRoutes(this.#ns);
    this.#replyAddresses = new ReplyAddresses(this.#ns, this.requestRefusal(REFUSED_REPLY_ADDRESS_LOG));
    this.#badExpires = this.requestRefusal(REFUSED_EXPIRES_LOG);
    this.#subs = new PubSubRoutes(options.logger);
    // Redis has no client-side URL failover (that is Sentinel's job): the first URL is used.
    this.#url = urlList(options.urls)[0] ?? 'redis://127.0.0.1:6379';
  }

  #newConn(overrides: Pick<RedisOptions, 'retryStrategy'> = {}): Redis {
    return new Redis({ ...redisOptions(this.#url, this.options, this.#connectTimeoutMs), ...overrides });
  }

  get #connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  async connect(): Promise<void> {
    this.assertOpen();
    if (this.#cmd !== undefined) return;
    // Until both are up a lost connection is not dialled again: ioredis would retry it for ever
    // behind connect()'s rejection. From then on it reconnects with the usual backoff.
    let up = false;
    const retryStrategy = (attempt: number): number | null => (up ? backoffMs(attempt) : null);
    const cmd = this.#newConn({ retryStrategy }) as Redis & Scripted;
    const sub = this.#newConn({ retryStrategy });
    // ioredis rejects connect() with a bare "Connection is closed." where the server refused the
    // password: the reason came as an 'error' event, kept to be the one reported.
    let refusal: unknown;
    const swallow = (err: unknown): void => {
      refusal ??= err;
    };
    cmd.on('error', swallow);
    sub.on('error', swallow);
    try {
      // ioredis's connectTimeout bounds the TCP connect only; its ready check then waits for INFO's
      // answer for ever: a server that accepts and never answers is bounded here, both connections at once.
      await connectWithin(Promise.all([cmd.connect(), sub.connect()]), this.#connectTimeoutMs);
    } catch (err) {
      // Taken before they are dropped: dropping them may say more ("Ready check failed").
      const reason = refusal ?? err;
      await Promise.all([abandon(cmd), abandon(sub)]);
      if (this.status === 'closed') throw this.closedDuringConnect();
      throw connectError('Redis', [this.#url], reason);
    }
    if (this.status === 'closed') {
      // close() ran meanwhile: it could not close connections it did not have yet.
      await Promise.all([abandon(cmd), abandon(sub)]);
      throw this.closedDuringConnect();
    }
    up = true;
    // From now on ioredis reconnects by itself: Redis refusing it (a password changed meanwhile:
    // WRONGPASS) comes only as an 'error' event, and is said instead of retried in silence.
    const onError = (err: unknown): void => {
      if (err instanceof Error && err.name === 'ReplyError') this.reconnectRefused('Redis', this.#url, err);
    };
    for (const c of [cmd, sub]) {
      c.off('error', swallow);
      c.on('error', onError);
    }
    cmd.defineCommand('fsbusRoute', { numberOfKeys: 0, lua: ROUTE_SCRIPT });
    cmd.defineCommand('fsbusReply', { numberOfKeys: 1, lua: REPLY_SCRIPT });
    cmd.defineCommand('fsbusLeave', { numberOfKeys: 2, lua: LEAVE_SCRIPT });
    cmd.defineCommand('fsbusMark', { lua: MARK_SCRIPT });
    cmd.defineCommand('fsbusPosition', { numberOfKeys: 1, lua: POSITION_SCRIPT });
    cmd.defineCommand('fsbusClaim', { numberOfKeys: 2, lua: CLAIM_SCRIPT });
    sub.on('pmessageBuffer', (glob: Buffer, channel: Buffer, message: Buffer) => this.#subs.deliver(glob.toString('utf8'), channel.toString('utf8'), message));
    for (const c of [cmd, sub]) {
      c.on('close', () => {
        if (this.status === 'connected') this.setStatus('reconnecting');
      });
      c.on('ready', () => void this.#restore());
    }
    this.#cmd = cmd;
    this.#sub = sub;
    this.#liveness.start();
    this.#marks.start();
    await this.#restore();
    // close() during the restore closed both connections; connect() must not look successful.
    if ((this.status as string) === 'closed') throw this.closedDuringConnect();
  }

  /**
   * One restore at a time: each connection's 'ready' asks for one, and two running at once would
   * write (and warn about) the same stream record twice. One asked for while one runs is run after
   * it (it returns at once when the first brought the driver online).
   */
  #restore(): Promise<void> {
    // Every request makes a running restore stale: a connection that dropped and came back while
    // it ran has lost what it restored (no auto-resubscribe), so only the run after it may go online.
    this.#restoreGen++;
    if (this.#restoring !== undefined) {
      this.#restoreAgain = true;
      return this.#restoring;
    }
    const run = (async () => {
      try {
        do {
          this.#restoreAgain = false;
          await this.#restoreOnce();
        } while (this.#restoreAgain);
      } finally {
        this.#restoring = undefined;
      }
    })();
    this.#restoring = run;
    return run;
  }

  /** Once both connections are up: subscriptions, lane groups and stream records back, then the outbox. */
  async #restoreOnce(): Promise<void> {
    const cmd = this.#cmd;
    const sub = this.#sub;
    if (cmd?.status !== 'ready' || sub?.status !== 'ready' || this.status === 'connected' || this.status === 'closed') return;
    const gen = this.#restoreGen;
    try {
      const globs = this.#subs.globs();
      if (globs.length > 0) await sub.psubscribe(...globs);
      for (const lane of this.#lanes) await ensureGroup(cmd, lane);
      await restoreRedisStreams(cmd, this.#ns, this.#ensured.values(), this.#streams, this.options.logger);
      await this.#marks.renew();
    } catch (err) {
      this.emit({ type: 'error', error: err as Error });
      return; // the next 'ready' tries again
    }
    if (gen !== this.#restoreGen || (this.status as string) === 'closed' || cmd.status !== 'ready' || sub.status !== 'ready') return;
    if (this.status === 'reconnecting') this.reconnects++;
    this.online(this.#url);
  }

  /** Every connection goes to the same Redis over the same link: all are dropped and dialled again. */
  #linkDead(silentMs: number): void {
    this.options.logger?.warn({ silent_ms: Math.round(silentMs) }, 'Redis did not answer a PING: the link is taken for dead, reconnecting');
    for (const c of [this.#cmd, this.#sub, this.#replyConn]) c?.disconnect(true);
    for (const r of this.#lanes) r.conn.disconnect(true);
    for (const r of this.#readers) r.redial();
  }

  #track<T>(p: Promise<T>): void {
    const op = p.then(
      () => undefined,
      (err: unknown) => this.emit({ type: 'error', error: err as Error }),
    );
    this.#ops.add(op);
    void op.finally(() => this.#ops.delete(op));
  }

  protected replyAddress(): string {
    if (this.#replyConn === undefined) {
      const conn = this.#newConn();
      conn.on('error', () => undefined);
      const stop = new AbortController();
      this.#replyConn = conn;
      this.#replyStop = stop;
      void readReplies(conn, replyStreamKey(this.#ns, this.#id), stop.signal, (corr, message) => this.deliverReply(corr, message));
    }
    return replyStreamKey(this.#ns, this.#id);
  }

  protected override get writeWindow(): PendingBytes {
    return this.#window;
  }

  /** rawSend's refusal of a publish (routeArgs): only a subject of the wrong form. */
  override subjectProblem(subject: string): string | undefined {
    return routeSubjectProblem(subject);
  }

  /**
   * The command connection died and its 'close' has not come yet (≈15 ms under load): ioredis
   * would refuse a command unsent. Held for the reconnect, as while Redis is away. (No connection
   * at all: rawSend refuses it as closed.)
   */
  protected override canSend(): boolean {
    return this.#cmd === undefined || takesCommands(this.#cmd);
  }

  protected rawSend(item: OutboxItem): void {
    const cmd = this.#cmd;
    if (cmd === undefined) throw new TransportError(TransportErrorCode.CLOSED, 'not connected');
    const data = Buffer.from(item.data.buffer, item.data.byteOffset, item.data.byteLength);
    const bytes = data.byteLength + item.subject.length + ROUTE_OVERHEAD_BYTES;
    if (item.kind === 'reply') {
      const settled = this.#window.add(bytes);
      cmd.fsbusReply(item.subject, item.correlationId ?? '', data, REPLY_TTL_MS, 1000).then(settled, (err: unknown) => {
        settled();
        this.#sendFailed(item, err);
      });
      return;
    }
    const args = routeArgs(this.#ns, item, data, this.#streams.args(item.subject));
    const settled = this.#window.add(bytes);
    cmd.fsbusRoute(...args).then(
      ([lanes, , streamError]) => {
        settled();
        if (lanes === ROUTED_BEFORE) return; // a copy ioredis sent again after a reconnect: the first one was routed
        if (item.kind === 'request' && lanes === 0 && item.correlationId !== undefined) this.noResponders(item.correlationId);
        // Published live, but not stored for durable consumers (Redis out of memory): lost to
        // them, so a drop after send like a failed route script — counted, its publisher told.
        if (streamError !== '') this.#appendFailed(item, streamError);
      },
      (err: unknown) => {
        settled();
        this.#sendFailed(item, err);
      },
    );
  }

  /** Redis out of memory fails every publish: one line per burst, each counted. */
  readonly #publishFailedLog = new LogThrottle((fields, msg) => this.options.logger?.warn(fields, msg), 'publish failed, dropped');

  /** A stream append Redis refused: one line per burst, with the reason. */
  readonly #appendFailedLog = new LogThrottle((fields, msg) => this.options.logger?.warn(fields, msg), 'stream append failed (published live, not stored for durable consumers): dropped');

  #appendFailed(item: OutboxItem, reason: string): void {
    this.droppedAfterSend(item);
    this.#appendFailedLog.hit({ subject: item.subject, reason });
  }

  #sendFailed(item: OutboxItem, err: unknown): void {
    // Refused by Redis (out of memory, a script error) or given up by ioredis, after it was
    // written (a route script may have published before it failed): counted, its publisher told.
    this.droppedAfterSend(item);
    // The reason only: ioredis's error carries the command's arguments, the whole payload.
    this.#publishFailedLog.hit({ subject: item.subject, ...errorFields(err instanceof Error ? err : new Error(String(err))) });
    if (item.kind === 'request' && item.correlationId !== undefined) this.requestRefused(item.correlationId, err);
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    this.assertOpen();
    if (options?.queue !== undefined) {
      throw new TransportError(TransportErrorCode.UNSUPPORTED, 'Redis Pub/Sub has no queue groups: serve a competing lane instead');
    }
    const ready = () => (this.#sub?.status === 'ready' ? this.#sub : undefined);
    return this.#subs.add(pattern, handler, ready, (op) => this.#track(op));
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    this.assertOpen();
    assertPattern(lane.subject);
    // The route script looks up the exact subject and each `<head>.>`: a `*` lane (or a bare `>`)
    // would be a stream nobody writes to, its requests answered "no responders".
    if (lane.subject === '>' || lane.subject.split('.').includes('*')) {
      throw new TransportError(TransportErrorCode.UNSUPPORTED, `redis serves exact subjects and '<head>.>' lanes, not '${lane.subject}'`);
    }
    const conn = this.#newConn();
    conn.on('error', () => undefined);
    const reader: LaneReader = {
      subject: lane.subject,
      key: `${this.#ns}:lane:${lane.subject}`,
      // Competing: one group for all servers. Otherwise a group per server (each gets every entry).
      group: lane.competing ? (lane.group ?? lane.subject) : `fanout.${this.#id}.${++this.#laneSeq}`,
      competing: lane.competing,
      conn,
      handler,
      stop: new AbortController(),
      draining: false,
      clientId: undefined,
      loop: Promise.resolve(),
    };
    // The next connection is another client for CLIENT UNBLOCK: its ID is asked again.
    conn.on('close', () => (reader.clientId = undefined));
    this.#lanes.add(reader);
    if (this.#cmd?.status === 'ready') this.#track(ensureGroup(this.#cmd, reader).then(() => this.#marks.renew()));
    reader.loop = readLane(reader, this.#id, (flat) => this.#onLaneEntry(reader, flat));
    return {
      subject: lane.subject,
      unsubscribe: async () => {
        if (reader.stop.signal.aborted || reader.draining) return;
        const leaving = this.#leave(reader);
        this.#leaving.add(leaving);
        try {
          await leaving;
        } finally {
          this.#leaving.delete(leaving);
        }
      },
    };
  }

  #onLaneEntry(r: LaneReader, flat: Buffer[]): void {
    const entry = laneEntry(flat, r.subject);
    if (entry.badExpires !== undefined) {
      this.#refuseExpires(entry, entry.badExpires);
      return;
    }
    // Written while no server read the lane (all away) and read after its requester gave up: not run.
    const late = lateBy(entry.expires);
    if (late !== undefined) {
      this.expiredOnArrival(entry.message.subject, late);
      return;
    }
    // Whoever wrote the entry chose reply_to: a key of the bus's own (its lane) must not get the
    // reply, and a request whose requester can never learn the outcome is not run.
    if (this.#replyAddresses.refuses(entry.message.subject, entry.replyTo)) return;
    this.dispatch(entry.message, entry.replyTo, entry.correlationId, r.handler, deadlineOf(entry.expires));
  }

  /**
   * An entry whose `expires` is not epoch milliseconds (seconds, text): not run, counted and
   * logged, its requester told why — on a reply stream of the bus only, as any reply.
   */
  #refuseExpires(entry: LaneEntry, shown: string): void {
    if (this.#replyAddresses.refuses(entry.message.subject, entry.replyTo)) return;
    this.#badExpires({ subject: entry.message.subject, expires: shown });
    const replyTo = entry.replyTo;
    const refusal = replyTo === undefined ? undefined : expiresRefusal(entry.message.data, shown);
    if (replyTo !== undefined && refusal !== undefined) this.send({ kind: 'reply', subject: replyTo, data: refusal, correlationId: entry.correlationId });
  }

  /** Stops reading the lane at once (closing, past the goodbye): its blocking reader's connection goes. */
  #drop(r: LaneReader): void {
    r.stop.abort();
    this.#lanes.delete(r);
    r.conn.disconnect();
  }

  /**
   * Leaves the lane losing no request (redis-lane-leave.ts): what the reader's last read got, and
   * what was written to the lane until its mark went, is served; a request after finds no mark.
   */
  async #leave(r: LaneReader): Promise<void> {
    this.#lanes.delete(r);
    await stopReading(this.#cmd, r, r.loop);
    const cmd = this.#cmd;
    if (cmd?.status === 'ready') {
      // Not past the connection's loss (ioredis would hold the command until a reconnect): the
      // group or consumer then stays in Redis, as after a crash.
      // The lane's mark stays while another serve() of this driver still reads that lane.
      const stillServed = [...this.#lanes].some((other) => other.subject === r.subject);
      const lane = { key: r.key, servingKey: servingKey(this.#ns, r.subject), group: r.group, consumer: this.#id, remove: r.competing ? 'consumer' : 'group', member: stillServed ? '' : this.#id } as const;
      await leaveLane(cmd, lane, (flat) => this.#onLaneEntry(r, flat));
    }
  }

  override async ensureStream(spec: StreamSpec): Promise<void> {
    this.assertOpen();
    await ensureRedisStream(this.#cmd, this.#ns, spec, this.#streams, this.options.logger);
    this.#ensured.set(spec.name, spec);
  }

  override async consumeDurable(options: ConsumeDurableOptions, handler: (message: DurableMessage) => void): Promise<Subscription> {
    this.assertOpen();
    const conn = this.#newConn();
    conn.on('error', () => undefined);
    const reader = new StreamReader(this.#ns, conn, () => this.#cmd, options, handler, this.options.logger);
    try {
      await reader.start(this.#ns);
    } catch (err) {
      conn.disconnect();
      if (err instanceof TransportError) throw err;
      throw new TransportError(TransportErrorCode.BROKER, `cannot consume stream ${options.stream}: ${(err as Error).message}`, { cause: err });
    }
    this.#readers.add(reader);
    return {
      subject: reader.subject,
      unsubscribe: async () => {
        this.#readers.delete(reader);
        await reader.unsubscribe();
      },
    };
  }

  async flush(): Promise<void> {
    this.assertFlushable();
    const cmd = this.#cmd;
    if (this.#ops.size === 0 && (cmd?.status !== 'ready' || this.status !== 'connected')) return;
    // ioredis holds a command across reconnects for as long as the broker is away: lost is lost.
    // What the window held goes out as Redis answers what came before it: every message held when
    // flush() was called must have left the outbox before the final PING.
    const confirmed = (async () => {
      await Promise.all([...this.#ops]);
      if (cmd?.status === 'ready') await this.sendHeld(() => cmd.ping());
      if (cmd?.status === 'ready') await cmd.ping();
    })();
    await this.whileConnected(confirmed).catch((err: unknown) => {
      throw err instanceof TransportError ? err : this.lostDuringFlush(err);
    });
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    this.#liveness.stop();
    this.#marks.stop();
    const limit = timeLimit(this.#liveness.deadAfterMs);
    try {
      await this.#closeWithin(limit.expired);
    } finally {
      limit.clear();
    }
  }

  async #closeWithin(expired: Promise<void>): Promise<void> {
    // Saying goodbye (in-flight operations, a PING, leaving lane groups, stream acks) waits on the
    // command connection, and ioredis keeps a command across reconnects for as long as the broker
    // stays away: there is no goodbye without that connection, and losing it ends one. A link
    // that hangs without closing never ends it: the time limit does.
    const cmd = this.#cmd;
    if (cmd?.status === 'ready') await Promise.race([untilClosed(cmd, this.#goodbye()), expired]);
    this.markClosed();
    // What a burst held back is still said, as the other throttled lines are.
    this.#publishFailedLog.flush();
    this.#appendFailedLog.flush();
    // What an ended goodbye did not get to: their connections go all the same.
    for (const r of [...this.#lanes]) this.#drop(r);
    for (const r of [...this.#readers]) void r.unsubscribe().catch(() => undefined);
    this.#readers.clear();
    const conns = [this.#cmd, this.#sub];
    // The reply reader sits in a blocking XREAD: QUIT would queue behind it, so just drop it.
    this.#replyStop?.abort();
    this.#replyConn?.disconnect();
    this.#cmd = undefined;
    this.#sub = undefined;
    this.#replyConn = undefined;
    this.#replyStop = undefined;
    // QUIT's answer may never come either: past the limit the socket is just dropped.
    const quits = conns.flatMap((c) => (c?.status === 'ready' ? [c.quit().then(noop, noop)] : []));
    await Promise.race([Promise.all(quits), expired]);
    for (const c of conns) c?.disconnect();
  }

  async #goodbye(): Promise<void> {
    await this.flush().catch(() => undefined);
    // Together: where CLIENT UNBLOCK is refused, each waits for its read's own end (LANE_BLOCK_MS).
    await Promise.all([...[...this.#lanes].map((r) => this.#leave(r)), ...this.#leaving]);
    for (const r of [...this.#readers]) await r.unsubscribe();
  }
}

function noop(): void {}
