/**
 * Durable event streams on Redis. A stream is one Redis Stream `<ns>:stream:<name>` shared by
 * every agent of the namespace (the append runs inside the ROUTE script, atomically, so one
 * counter orders every node's events), described in the hash `<ns>:streams` (name → JSON spec) so
 * a consumer, in any language, finds it by name. Entry IDs are `<ms>-<sequence>` (see
 * redis-scripts.ts): a message's `sequence` is the part after the dash. Ephemeral replays are a
 * plain XREAD from a position; durable consumers are consumer groups (the broker keeps their
 * position; `ack()` is XACK; un-acked entries come again when the consumer returns; at most
 * `maxInFlight` are read ahead of the application's acks: redis-in-flight.ts). A group's
 * filter is recorded in the hash `<stream key>:filters` by the script that creates the group
 * (CLAIM_SCRIPT): the same name with another filter is refused. What retention trimmed before the
 * consumer acknowledged it is told (retention-loss.ts): a pending entry gone (read as nil), and
 * entries gone before the group read them (a jump in the stream's sequence, which every append
 * takes from one counter: #passed) — and, the same way, entries a replay's reads were overtaken
 * by. A Redis that lost its data (restarted without persistence) under
 * a running durable consumer is told too (#reclaim), and the stream read on after the last entry it
 * saw; the driver that ensured a stream registers it again after such a loss (restoreRedisStreams).
 */
import type { Redis } from 'ioredis';
import type { ConsumeDurableOptions, DriverLogger, DurableMessage, RetentionLoss, StreamSpec, Subscription } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertStreamRetention } from '../../stream-retention.js';
import { durableFilterRefused } from '../../durable-filter.js';
import { reportRetentionLoss, reportStreamLost } from '../../retention-loss.js';
import { backoffMs } from '../base-driver.js';
import { pause, ready, unlessStopped } from './redis-streams.js';
import { entryFields, orLost, parseHeaders, untilClosed } from './redis-util.js';
import { errorFields } from '@fsbus/esl';
import { subjectMatches } from '../../subject-pattern.js';
import { RECLAIM_SCRIPT } from './redis-scripts.js';
import { InFlight } from './redis-in-flight.js';

/** Entries per XREAD/XREADGROUP round trip, at most. */
const READ_COUNT = 100;
/** Subjects whose stream routing is remembered; the cache is cleared past this. */
const ROUTE_CACHE_MAX = 1000;

export const streamKey = (ns: string, name: string): string => `${ns}:stream:${name}`;
export const registryKey = (ns: string): string => `${ns}:streams`;
/** Durable name → the filter its group was made with ('' = every subject). */
export const filtersKey = (ns: string, name: string): string => `${streamKey(ns, name)}:filters`;

/** The sequence of an entry: the part of its ID after the dash. */
export const sequenceOf = (id: string): number => Number(id.slice(id.indexOf('-') + 1));

/** Whether stream ID `a` sorts after `b` (`<ms>-<n>`, each part compared as a number). */
export function idAfter(a: string, b: string): boolean {
  const [am = 0n, an = 0n] = a.split('-').map((p) => BigInt(p));
  const [bm = 0n, bn = 0n] = b.split('-').map((p) => BigInt(p));
  return am > bm || (am === bm && an > bn);
}

interface Route {
  subjects: readonly string[];
  /** key, sequence key, maxlen or '', max age ms or '' — as the ROUTE script takes them. */
  args: string[];
}

/** The streams this driver ensured, and which of them a subject goes to (cached per subject). */
export class StreamRoutes {
  readonly #ns: string;
  readonly #routes = new Map<string, Route>();
  readonly #cache = new Map<string, string[]>();

  constructor(ns: string) {
    this.#ns = ns;
  }

  add(spec: StreamSpec): void {
    const key = streamKey(this.#ns, spec.name);
    const args = [key, `${key}:seq`, spec.maxMessages === undefined ? '' : String(spec.maxMessages), spec.maxAgeMs === undefined ? '' : String(spec.maxAgeMs)];
    this.#routes.set(spec.name, { subjects: [...spec.subjects], args });
    this.#cache.clear();
  }

  /** The ROUTE script's tail for `subject`: [] when no stream takes it, else [k, …k × 4 args]. */
  args(subject: string): string[] {
    if (this.#routes.size === 0) return [];
    let out = this.#cache.get(subject);
    if (out === undefined) {
      const hit = [...this.#routes.values()].filter((r) => r.subjects.some((p) => subjectMatches(p, subject)));
      out = hit.length === 0 ? [] : [String(hit.length), ...hit.flatMap((r) => r.args)];
      if (this.#cache.size >= ROUTE_CACHE_MAX) this.#cache.clear();
      this.#cache.set(subject, out);
    }
    return out;
  }
}

/**
 * Merges this agent's record into the one in `<ns>:streams`, atomically, and returns the result:
 * retention the wider of the two (null = unlimited), subjects the union. Every agent trims the
 * shared stream as it appends: one with less retention would delete the others' history.
 */
const MERGE_RECORD_SCRIPT = `
local mine = cjson.decode(ARGV[2])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local ok, had = pcall(cjson.decode, raw)
  if ok and type(had) == 'table' then
    for _, f in ipairs({'maxMessages', 'maxAgeMs'}) do
      if type(had[f]) ~= 'number' or type(mine[f]) ~= 'number' then mine[f] = cjson.null
      else mine[f] = math.max(had[f], mine[f]) end
    end
    if type(had.subjects) == 'table' then
      local seen = {}
      for _, s in ipairs(mine.subjects) do seen[s] = true end
      for _, s in ipairs(had.subjects) do
        if type(s) == 'string' and not seen[s] then table.insert(mine.subjects, s); seen[s] = true end
      end
    end
  end
end
local out = cjson.encode(mine)
redis.call('HSET', KEYS[1], ARGV[1], out)
return out`;

/** How a setting kept wider than this agent's config can be narrowed by hand. */
const NARROW_HOW = 'edit its record in the hash <ns>:streams (HSET) and restart the agents';

/**
 * Validates the spec, records it in `<ns>:streams` (merged: MERGE_RECORD_SCRIPT) and routes its
 * subjects from now on with the merged retention; a setting kept wider than `spec` is a warn line.
 */
export async function ensureRedisStream(cmd: Redis | undefined, ns: string, spec: StreamSpec, routes: StreamRoutes, logger?: DriverLogger): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(spec.name)) throw new TransportError(TransportErrorCode.BROKER, `invalid stream name '${spec.name}' (letters, digits, _ and -)`);
  if (spec.subjects.length === 0) throw new TransportError(TransportErrorCode.BROKER, `stream ${spec.name} has no subjects`);
  assertStreamRetention('redis', spec);
  for (const [field, v] of [['maxMessages', spec.maxMessages], ['maxAgeMs', spec.maxAgeMs]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) throw new TransportError(TransportErrorCode.BROKER, `stream ${spec.name}: ${field} must be a positive integer`);
  }
  if (cmd?.status !== 'ready') throw new TransportError(TransportErrorCode.BROKER, `cannot set up stream ${spec.name}: not connected`);
  const record = { name: spec.name, key: streamKey(ns, spec.name), subjects: spec.subjects, maxMessages: spec.maxMessages ?? null, maxAgeMs: spec.maxAgeMs ?? null };
  let merged: { maxMessages?: unknown; maxAgeMs?: unknown };
  try {
    merged = JSON.parse(String(await orLost(cmd, cmd.eval(MERGE_RECORD_SCRIPT, 1, registryKey(ns), spec.name, JSON.stringify(record))))) as typeof merged;
  } catch (err) {
    if (err instanceof TransportError) throw err;
    throw new TransportError(TransportErrorCode.BROKER, `cannot set up stream ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
  const limit = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const kept = { maxMessages: limit(merged.maxMessages), maxAgeMs: limit(merged.maxAgeMs) };
  const wider = (['maxMessages', 'maxAgeMs'] as const).filter((k) => kept[k] !== spec[k]);
  if (wider.length > 0) {
    const detail = Object.fromEntries(wider.map((k) => [k, { stream: kept[k] ?? 'unlimited', config: spec[k] ?? 'unlimited' }]));
    logger?.warn(
      { stream: spec.name, kept: detail },
      `event stream ${spec.name} keeps retention wider than this agent's config (${wider.join(', ')}): it holds every agent's events, so it is never narrowed at start; narrow it deliberately: ${NARROW_HOW}`,
    );
  }
  routes.add({ name: spec.name, subjects: spec.subjects, ...(kept.maxMessages === undefined ? {} : { maxMessages: kept.maxMessages }), ...(kept.maxAgeMs === undefined ? {} : { maxAgeMs: kept.maxAgeMs }) });
}

/**
 * After a reconnect: each stream this driver ensured whose record `<ns>:streams` lacks is written
 * again (merged, as at start). A Redis that lost its data (restarted without persistence) lost the
 * record too: without it no consumer could start (`stream … not found`) while the agents went on
 * appending. Its loss is a warn line; the wider-retention warning was said at start. A record that
 * is there is left alone: nothing is written (a Redis at maxmemory with noeviction refuses every
 * write, and the driver must come back online all the same). A record that cannot be written is a
 * warn line, not a reason to stay offline: it is tried again at the next reconnect. Rejects only
 * when the connection is lost meanwhile (the next 'ready' restores again).
 */
export async function restoreRedisStreams(cmd: Redis, ns: string, specs: Iterable<StreamSpec>, routes: StreamRoutes, logger?: DriverLogger): Promise<void> {
  for (const spec of specs) {
    try {
      if ((await orLost(cmd, cmd.hexists(registryKey(ns), spec.name))) === 1) continue;
      await ensureRedisStream(cmd, ns, spec, routes);
      logger?.warn({ stream: spec.name, registry: registryKey(ns) }, `event stream ${spec.name} was not registered in Redis any more (Redis lost its data: restarted without persistence?): registered again`);
    } catch (err) {
      if (cmd.status !== 'ready') throw err;
      logger?.warn(
        { stream: spec.name, registry: registryKey(ns), ...errorFields(err as Error) },
        `event stream ${spec.name} is not registered in Redis and could not be registered again (tried again at the next reconnect): consumers cannot start on it until then`,
      );
    }
  }
}

export interface StreamCommands {
  fsbusPosition(key: string, mode: 'last' | 'seq', n: string): Promise<string>;
  fsbusClaim(key: string, filters: string, group: string, start: string, filter: string): Promise<Claim>;
}

/** CLAIM_SCRIPT: [1, filter, the group's last-delivered-id] when the group is this filter's, [0, the filter it has] when not. */
type Claim = [number, string, string?];
/** RECLAIM_SCRIPT: CLAIM's answer, then 1 when the stream was lost with the group (a new stream). */
type Reclaim = [number, string, string, number];

/** The sequence a group has read up to, from its last-delivered-id; undefined when that is no sequence (a group made by hand or by an older build at a time position). */
function readUpTo(position: string | undefined): number | undefined {
  const sequence = position === undefined ? NaN : sequenceOf(position);
  return Number.isSafeInteger(sequence) ? sequence : undefined;
}

/** The refusal of a durable name used with another filter. */
function filterRefused(stream: string, key: string, durable: string, had: string, filter: string): TransportError {
  return durableFilterRefused(durable, stream, had, filter, `delete the consumer group (XGROUP DESTROY ${key} ${durable})`);
}

/** A consumer started on a stream no agent registered (none runs with it, or Redis lost its data and none reconnected since). */
function notFound(stream: string, ns: string): string {
  return `stream ${stream} not found in ${registryKey(ns)}: no agent with events.stream.enabled (or ensureStream) has registered it — none runs with it yet, or Redis lost its data (restarted without persistence) and none has reconnected since`;
}

/** The warn line of a stream lost under a durable consumer (reportStreamLost). */
const STREAM_LOST_LOG =
  "Redis lost the stream with this durable consumer's group (restarted without persistence, or from an older snapshot?): what it held unread is gone, how much is unknown; reading on after the last entry this consumer saw";

type Entries = Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null;

/** One replay: its own connection (reads block), stopped by unsubscribe or the driver's close. */
export class StreamReader implements Subscription {
  readonly subject: string;
  readonly #key: string;
  readonly #filters: string;
  readonly #conn: Redis;
  readonly #cmd: () => (Redis & StreamCommands) | undefined;
  readonly #options: ConsumeDurableOptions;
  readonly #handler: (message: DurableMessage) => void;
  readonly #logger: DriverLogger | undefined;
  readonly #acks = new Set<Promise<unknown>>();
  /** Handed out and not acknowledged by the application (a durable consumer's maxInFlight). */
  readonly #flow: InFlight;
  /** Entries below this sequence are skipped (a replay from a sequence past the stream's end). */
  #minSeq = 0;
  /** Trimmed entries found and not told yet (#tellTrimmed). */
  #trimmed: RetentionLoss | undefined;
  /** The last stream sequence the group handed this consumer, or the replay read (undefined: not known yet). */
  #readUpTo: number | undefined;
  /** The last entry ID this consumer's group handed out or stood at (undefined: none yet): a group made again starts after it (#reclaim). */
  #lastSeen: string | undefined;
  /** Aborted by unsubscribe(): every wait of the reading loop ends on it. */
  readonly #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  constructor(ns: string, conn: Redis, cmd: () => (Redis & StreamCommands) | undefined, options: ConsumeDurableOptions, handler: (message: DurableMessage) => void, logger?: DriverLogger) {
    this.subject = options.filter ?? options.stream;
    this.#key = streamKey(ns, options.stream);
    this.#filters = filtersKey(ns, options.stream);
    this.#conn = conn;
    this.#cmd = cmd;
    this.#options = options;
    this.#handler = handler;
    this.#logger = logger;
    this.#flow = new InFlight(options.maxInFlight);
    // ioredis would send a read lost with its connection again as it was: a blocking `>` then
    // skips the entries the lost reply held (pending for this consumer). The read fails instead
    // (#read) and the loop decides what to ask next.
    conn.options.autoResendUnfulfilledCommands = false;
  }

  /** One read on the reader's connection: rejects when the connection is lost before its reply, or on stop. */
  #read(stop: AbortSignal, command: string, ...args: string[]): Promise<Entries> {
    return unlessStopped(stop, orLost(this.#conn, this.#conn.callBuffer(command, ...args))) as Promise<Entries>;
  }

  /**
   * Checks the stream exists, finds where to start (creates the group), then reads in the
   * background. Each command fails if the connection is lost before its answer (orLost).
   */
  async start(ns: string): Promise<void> {
    const cmd = this.#cmd();
    if (cmd?.status !== 'ready') throw new TransportError(TransportErrorCode.BROKER, `cannot consume stream ${this.#options.stream}: not connected`);
    if ((await orLost(cmd, cmd.hexists(registryKey(ns), this.#options.stream))) === 0) throw new TransportError(TransportErrorCode.BROKER, notFound(this.#options.stream, ns));
    const start = await this.#startId(cmd);
    const group = this.#options.durable;
    if (group === undefined) {
      this.#loop = this.#readEphemeral(start);
      return;
    }
    // An existing durable consumer keeps its position: `from` applies to a new one only.
    const filter = this.#options.filter ?? '';
    const [claimed, had, position] = await orLost(cmd, cmd.fsbusClaim(this.#key, this.#filters, group, start, filter));
    if (claimed === 0) throw filterRefused(this.#options.stream, this.#key, group, had, filter);
    this.#readUpTo = readUpTo(position);
    this.#see(position);
    this.#loop = this.#readGroup(group, start);
  }

  /** The ID to read after. */
  async #startId(cmd: Redis & StreamCommands): Promise<string> {
    const from = this.#options.from ?? 'all';
    if (from === 'all') return '0-0';
    if (from === 'new') return this.#options.durable === undefined ? await orLost(cmd, cmd.fsbusPosition(this.#key, 'last', '0')) : '$';
    if ('sequence' in from) {
      this.#minSeq = from.sequence;
      return from.sequence <= 1 ? '0-0' : await orLost(cmd, cmd.fsbusPosition(this.#key, 'seq', String(Math.floor(from.sequence))));
    }
    const ms = from.time.getTime();
    // Everything whose ID's ms part is ≥ the time: read after the last possible ID of ms − 1.
    return ms <= 0 ? '0-0' : `${ms - 1}-18446744073709551615`;
  }

  async #readEphemeral(start: string): Promise<void> {
    const stop = this.#stop.signal;
    let last = start;
    let failures = 0;
    while (!stop.aborted) {
      try {
        await ready(this.#conn, stop);
        const res = await this.#read(stop, 'XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', '0', 'STREAMS', this.#key, last);
        failures = 0;
        for (const [, entries] of res ?? []) {
          for (const [id, flat] of entries) {
            last = id.toString('utf8');
            if (this.#beganAgain(last)) this.#forgetSequences();
            this.#see(last);
            // Retention overtook the replay between two reads: XREAD goes on from the oldest entry
            // left, so the jump in sequence is what it removed unread (the first entry read is
            // where the replay starts, whatever retention removed before it).
            this.#passed(sequenceOf(last));
            this.#tellTrimmed();
            if (flat !== null) this.#deliver(last, flat, undefined);
          }
        }
      } catch {
        if (stop.aborted) break;
        if (this.#conn.status === 'ready') await pause(backoffMs(failures++), stop);
      }
    }
  }

  /**
   * XREADGROUP: first the consumer's pending entries (delivered before, never acked), then new
   * ones. After any failed read — a lost connection included, whose reply may have held entries
   * Redis already assigned to this consumer — the pending entries after the last one seen come
   * first (a reply lost in transit is not lost; what was handed out is not handed out again).
   * At most `maxInFlight` handed out and not acknowledged: each read asks for no more than there
   * is room for, and none is sent while there is none.
   */
  async #readGroup(group: string, start: string): Promise<void> {
    const stop = this.#stop.signal;
    const consumer = group;
    let cursor = '0';
    let history = true;
    // The first pending read: entries handed out before this subscription (a previous run), so
    // sent again. A later one (after a failed read) brings only entries whose reply was lost: new.
    let again = true;
    let failures = 0;
    /** When the first read of the current run of failed ones failed (a stream lost then is told with it). */
    let failedAt: Date | undefined;
    while (!stop.aborted) {
      try {
        await this.#flow.room(stop);
        await ready(this.#conn, stop);
        const count = String(Math.min(READ_COUNT, this.#flow.free));
        const res = history
          ? await this.#read(stop, 'XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', this.#key, cursor)
          : await this.#read(stop, 'XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'BLOCK', '0', 'STREAMS', this.#key, '>');
        failures = 0;
        failedAt = undefined;
        const entries = res?.[0]?.[1] ?? [];
        if (history && entries.length === 0) history = again = false;
        for (const [idBuf, flat] of entries) {
          const id = idBuf.toString('utf8');
          cursor = id;
          if (this.#beganAgain(id)) this.#forgetSequences();
          this.#see(id);
          this.#passed(sequenceOf(id));
          // A pending entry trimmed away since: nothing to deliver, release it (and say so).
          if (flat === null) {
            this.#noteTrimmed(sequenceOf(id), sequenceOf(id));
            this.#ack(group, id);
          } else {
            this.#tellTrimmed();
            this.#deliver(id, flat, group, history && again);
          }
        }
        // The pending entries are all read: a run of trimmed ones at their end is told now.
        if (entries.length < Number(count)) this.#tellTrimmed();
      } catch (err) {
        if (stop.aborted) break;
        history = true;
        failedAt ??= new Date();
        // The group is gone: create it again, with its filter (#reclaim); not made, tried again after the backoff.
        if (/NOGROUP/.test((err as Error).message)) {
          const made = await this.#reclaim(group, start, failedAt, stop);
          if (made === 'lost') cursor = '0';
          if (made === undefined && this.#conn.status === 'ready') await pause(backoffMs(failures++), stop);
        } else if (this.#conn.status === 'ready') await pause(backoffMs(failures++), stop);
      }
    }
  }

  /**
   * Whether `id` (from the group) says the stream's sequence began again (Redis lost its data): it
   * sorts after what this consumer saw, at a lower sequence. Seen by another process sharing the
   * durable name too, which found the group made again by the one that lost the race to it.
   */
  #beganAgain(id: string): boolean {
    const seen = this.#lastSeen;
    return seen !== undefined && /^\d+-\d+$/.test(id) && idAfter(id, seen) && sequenceOf(id) < sequenceOf(seen);
  }

  /** The old stream's sequences mean nothing in the new one: a start sequence, a position, trimmed entries noted. */
  #forgetSequences(): void {
    this.#minSeq = 0;
    this.#readUpTo = undefined;
    this.#trimmed = undefined;
  }

  /** Notes an entry ID the group handed out or stood at (IDs sort in stream order). */
  #see(id: string | undefined): void {
    if (id === undefined || !/^\d+-\d+$/.test(id)) return;
    if (this.#lastSeen === undefined || idAfter(id, this.#lastSeen)) this.#lastSeen = id;
  }

  /**
   * Makes the group again (RECLAIM_SCRIPT). Gone with its filter record, the broker lost its data:
   * restarted without persistence (the stream there now was all appended after the loss, by agents
   * that reconnected before this reader did) or from a snapshot taken before this consumer's group
   * was made (the stream there holds entries it read long ago). The group starts after the last
   * entry ID this consumer saw, whatever its `from`: IDs begin with the time in ms, so everything
   * appended after the loss sorts after it ('$' or an old sequence would skip those entries for
   * good, silently), and an old snapshot's entries are not handed out again (24 h of retention
   * replayed, a false gap); from the stream's start ('0-0', a time `from`: that time) only when
   * it saw nothing yet. What the lost stream held unread is gone, how much is unknown: told (a
   * warn line, onStreamLost) before anything new is handed out. Group deleted by hand (its record
   * kept): made again at `start`, nothing told. Returns 'lost', 'made', or undefined when it was
   * not made (Redis refused, the connection went, another filter took the name): tried again.
   */
  async #reclaim(group: string, start: string, failedAt: Date, stop: AbortSignal): Promise<'lost' | 'made' | undefined> {
    const from = this.#options.from;
    const time = typeof from === 'object' && 'time' in from;
    const seen = this.#lastSeen;
    // A time `from` stays a time (the new IDs carry the broker's clock): never before it.
    const fresh = seen === undefined ? (time ? start : '0-0') : time && idAfter(start, seen) ? start : seen;
    let claim: Reclaim;
    try {
      claim = (await unlessStopped(stop, this.#conn.eval(RECLAIM_SCRIPT, 2, this.#key, this.#filters, group, start, this.#options.filter ?? '', fresh))) as Reclaim;
    } catch (err) {
      if (!stop.aborted) this.#logger?.debug({ ...errorFields(err as Error), stream: this.#options.stream, durable: group }, 'making the durable consumer group again failed: tried again');
      return undefined;
    }
    if (claim[0] !== 1) {
      this.#logger?.debug({ stream: this.#options.stream, durable: group, filter: claim[1] }, 'the durable consumer group was made again with another filter: tried again');
      return undefined;
    }
    const position = claim[2];
    // The stream's sequence began again: told by the script (lost), or the group made already by
    // another process sharing the durable name (its position says so).
    if (claim[3] === 1 || this.#beganAgain(position)) this.#forgetSequences();
    // Its position is new.
    this.#readUpTo = readUpTo(position);
    this.#see(position);
    if (claim[3] !== 1) return 'made';
    reportStreamLost(this.#options, { lostAt: failedAt, restoredAt: new Date() }, this.#logger, STREAM_LOST_LOG);
    return 'lost';
  }

  /**
   * An entry the group handed out (pending or new, in stream order) or a replay read: past the
   * last one, a jump in sequence is what retention trimmed before it was read. Told
   * like trimmed pending entries, before the entry is handed out; never twice (the position
   * moves on). Entries before a replay's start sequence were not wanted anyway.
   */
  #passed(sequence: number): void {
    const upTo = this.#readUpTo;
    if (upTo !== undefined && sequence <= upTo) return;
    this.#readUpTo = sequence;
    if (upTo === undefined) return;
    const from = Math.max(upTo + 1, this.#minSeq);
    if (from < sequence) this.#noteTrimmed(from, sequence - 1);
  }

  /** Entries `from`…`to` retention removed before they were acknowledged: gone for good. */
  #noteTrimmed(from: number, to: number): void {
    const t = this.#trimmed;
    const count = to - from + 1;
    if (t === undefined) this.#trimmed = { from, to, count };
    else this.#trimmed = { from: Math.min(t.from, from), to: Math.max(t.to, to), count: t.count + count };
  }

  /** Tells the trimmed entries noted (one warning a run, before anything newer is handed out). */
  #tellTrimmed(): void {
    const loss = this.#trimmed;
    if (loss === undefined) return;
    this.#trimmed = undefined;
    reportRetentionLoss(this.#options, loss, this.#logger, this.#options);
  }

  #deliver(id: string, flat: Buffer[], group: string | undefined, redelivered?: boolean): void {
    const sequence = sequenceOf(id);
    const f = entryFields(flat);
    const subject = f.get('subject')?.toString('utf8') ?? '';
    // Not for this consumer: a durable one releases it at once so it never comes again.
    if (sequence < this.#minSeq || (this.#options.filter !== undefined && !subjectMatches(this.#options.filter, subject))) {
      if (group !== undefined) this.#ack(group, id);
      return;
    }
    const ack = group === undefined ? () => undefined : this.#flow.handOut(() => this.#ack(group, id));
    const data = f.get('data') ?? Buffer.alloc(0);
    const headers = parseHeaders(f.get('headers'));
    const message: DurableMessage = {
      subject,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      ...(headers === undefined ? {} : { headers }),
      sequence,
      ...(redelivered === undefined ? {} : { redelivered }),
      ack,
    };
    try {
      this.#handler(message);
    } catch (err) {
      this.#logger?.error({ err, subject }, 'stream handler threw');
    }
  }

  #ack(group: string, id: string): void {
    const cmd = this.#cmd();
    // Not acked (closing, broker away): the entry stays pending and comes again next time.
    if (this.#stop.signal.aborted || cmd?.status !== 'ready') return;
    const p = cmd.xack(this.#key, group, id).catch((err: unknown) => this.#logger?.warn({ err, stream: this.#options.stream }, 'XACK failed'));
    this.#acks.add(p);
    void p.finally(() => this.#acks.delete(p));
  }

  /** The link was taken for dead: its connection is dropped and dialled again, the read goes on. */
  redial(): void {
    if (!this.#stop.signal.aborted) this.#conn.disconnect(true);
  }

  /** Stops reading; resolves once every ack sent so far is done (the next consumer sees them). */
  async unsubscribe(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    const acks = [...this.#acks];
    // The loop ends on the abort wherever it waits, even on a connection ioredis is dialling again.
    this.#stop.abort();
    // The reader sits in a blocking read: drop its connection rather than queue QUIT behind it.
    this.#conn.disconnect();
    // Not past the command connection's loss (ioredis would hold an XACK for a reconnect): an
    // entry whose ack did not arrive comes again to the next consumer of this name.
    const cmd = this.#cmd();
    if (cmd?.status === 'ready') await untilClosed(cmd, Promise.all(acks));
    await this.#loop;
  }
}
