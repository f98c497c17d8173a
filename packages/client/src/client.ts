/**
 * `connect()` and the client: commands (api, bgapi, originate, hangup, executeApp, dialplan,
 * status) on any node or one node, scatter-gather over the broadcast lane, and event streams —
 * over any driver of @fsbus/transport.
 */
import { randomBytes } from 'node:crypto';
import { buildSubjects, decodeReply, type ReplyEnvelope, type Subjects } from '@fsbus/contract';
import { createDriver, defaultBrokerUrl, driverForUrls, TransportError, TransportErrorCode, type Driver } from '@fsbus/transport';
import { BusCommands, type ClientCore } from './commands.js';
import { whileConnected } from './connection-guard.js';
import { brokerRefusal, ClientError, ClientErrorCode, ReplyError, toClientError } from './errors.js';
import { envelopeProblem } from './malformed.js';
import { agentStatusData } from './reply-data.js';
import { authOption, commandOption, countOption, DEFAULT_INBOX_PREFIX, encodeBody, inboxPrefixOption, nodeOption, objectOption, prefixOption, signalOption, stringListOption, stringOption, timeoutOption } from './validate.js';
import { DEFAULT_SERVER, DEFAULT_TIMEOUT_MS, type AgentStatus, type BadReply, type ConnectOptions, type GatherOptions, type GatherOutcome, type GatherResult, type Reply, type StatusAllResult } from './types.js';

/** A gather's envelopes with the bytes each came as, the answers that were not envelopes, the copies dropped, and what `expect` missed. */
interface Gathered extends GatherOutcome {
  replies: Array<{ reply: ReplyEnvelope; data: Uint8Array }>;
  badReplies: BadReply[];
  /** Later replies of a node already heard. */
  duplicates: number;
  /** Those of them that are envelopes, as they came: statusAll() tells another agent's from a copy. */
  repeats: Array<{ reply: ReplyEnvelope; data: Uint8Array }>;
}

type Extras = GatherOutcome & { readonly badReplies: readonly BadReply[]; readonly duplicates: number };

/** `list` with the gather's extras on it, not enumerable: it still compares, spreads and serializes as a plain array. */
function withExtras<L extends unknown[]>(list: L, g: Extras): L & Extras {
  const fixed = (value: unknown): PropertyDescriptor => ({ value, enumerable: false });
  return Object.defineProperties(list, { badReplies: fixed(g.badReplies), duplicates: fixed(g.duplicates), missing: fixed(g.missing), shortfall: fixed(g.shortfall) }) as L & Extras;
}

/** `expect` checked: a count, or a list of node ids (each once). */
function expectOption(value: GatherOptions['expect']): number | ReadonlySet<string> | undefined {
  if (!Array.isArray(value)) return countOption(value as number | undefined, 'expect');
  const list = value as readonly string[];
  if (list.length === 0) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, 'expect must be a count or a non-empty list of node ids, got []');
  return new Set(list.map((id, i) => nodeOption(id, `expect[${i}]`)));
}

/** Ends a gather once every node of an `expect` list answered (a reply naming it, readable or not). */
function allListedHeard(listed: ReadonlySet<string>): (data: Uint8Array) => boolean {
  const waiting = new Set(listed);
  return (data) => {
    const node = senderOf(data);
    if (node !== undefined) waiting.delete(node);
    return waiting.size === 0;
  };
}

/** What `expect` asked and did not get: the answering nodes are those the replies (readable or not) name. */
function outcomeOf(expect: number | ReadonlySet<string> | undefined, g: Pick<Gathered, 'replies' | 'badReplies'>): GatherOutcome {
  if (expect === undefined) return { missing: [], shortfall: 0 };
  if (typeof expect === 'number') return { missing: [], shortfall: Math.max(0, expect - g.replies.length - g.badReplies.length) };
  const answered = new Set<string | undefined>([...g.replies.map((r) => r.reply.node_id), ...g.badReplies.map((b) => b.nodeId)]);
  const missing = [...expect].filter((id) => !answered.has(id));
  return { missing, shortfall: missing.length };
}

/**
 * The node a reply names (its string `node_id`), else undefined: what tells a second reply of one
 * node — a copy the broker delivered twice — from another node's, for the driver's `expect` count.
 * The same reading as decodeReply's and envelopeProblem's.
 */
function senderOf(data: Uint8Array): string | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as unknown;
    const named = value !== null && typeof value === 'object' ? (value as { node_id?: unknown }).node_id : undefined;
    return typeof named === 'string' ? named : undefined;
  } catch {
    return undefined;
  }
}

/** Who answered a status: its `instance_id`, else (an older agent's) hostname and pid; a copy the broker delivered twice says the same. */
function instanceOf(s: AgentStatus): string {
  return typeof s['instance_id'] === 'string' ? `instance ${s['instance_id']}` : JSON.stringify([s['hostname'], s['pid']]);
}

/**
 * The full statuses among a gather's later replies that another agent sent for a node in
 * `statuses` (two agents serve one node id), each instance once, by node id then as they came.
 * Copies of one agent's answer, error envelopes and unreadable statuses are not: they stay counted
 * in `duplicates` only.
 */
function otherAgentsOf(statuses: readonly AgentStatus[], repeats: Gathered['repeats']): AgentStatus[] {
  const heard = new Map(statuses.map((s) => [s.node_id, new Set([instanceOf(s)])]));
  const others: AgentStatus[] = [];
  for (const { reply } of repeats) {
    if (!reply.success) continue;
    let status: AgentStatus;
    try {
      status = agentStatusData(reply, 'agent.status gather');
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      continue;
    }
    const instances = heard.get(status.node_id);
    const instance = instanceOf(status);
    if (instances === undefined || instances.has(instance)) continue;
    instances.add(instance);
    others.push(status);
  }
  // Stable: each node's in the order they came.
  return others.sort((a, b) => a.node_id.localeCompare(b.node_id));
}

/** Splits `a,b` / lists into a clean URL list; none given: `fallback` (the driver's default). */
export function serverList(servers: string | readonly string[] | undefined, fallback = DEFAULT_SERVER): string[] {
  const raw = servers === undefined ? [] : typeof servers === 'string' ? servers.split(',') : [...servers];
  const list = raw.map((s) => s.trim()).filter((s) => s !== '');
  return list.length === 0 ? [fallback] : list;
}

const OPTION_NAMES: ReadonlySet<string> = new Set(['driver', 'servers', 'url', 'prefix', 'timeoutMs', 'name', 'auth', 'tls', 'curve', 'connectTimeoutMs', 'inboxPrefix'] satisfies Array<keyof ConnectOptions>);

/**
 * The broker URLs of `options`. An option name the client does not know is refused: from plain
 * JavaScript a misspelt `server` would otherwise connect to the default broker without a word.
 */
function brokerUrls(options: ConnectOptions): string[] {
  objectOption(options, 'connect: options');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `connect: unknown option '${key}' (known: ${[...OPTION_NAMES].join(', ')})`);
  }
  // From plain JavaScript a wrong type would otherwise fail deep inside a driver (a TypeError) or
  // show as a CONNECT failure ("timeout" for connectTimeoutMs: -1).
  stringListOption(options.servers, 'connect: servers');
  stringListOption(options.url, 'connect: url');
  prefixOption(options.prefix, 'connect: prefix');
  stringOption(options.name, 'connect: name');
  timeoutOption(options.connectTimeoutMs, 'connect: connectTimeoutMs');
  if (options.driver !== undefined && typeof options.driver !== 'string' && (options.driver === null || typeof options.driver !== 'object')) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `connect: driver must be a driver name or a Driver, got ${options.driver === null ? 'null' : typeof options.driver}`);
  }
  if (options.servers !== undefined && options.url !== undefined) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, 'connect: give servers or url, not both');
  const fallback = typeof options.driver === 'string' ? defaultBrokerUrl(options.driver) : DEFAULT_SERVER;
  return serverList(options.servers ?? options.url, fallback);
}

/** The driver to create: the one named, else the one the URLs' scheme names (amqp://… → amqp), else nats. */
function driverName(options: ConnectOptions, urls: readonly string[]): string {
  const pick = driverForUrls(typeof options.driver === 'string' ? options.driver : undefined, urls);
  if ('mismatch' in pick) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `connect: ${pick.mismatch}`);
  return pick.driver;
}

/** Connects to the broker and resolves with a client; rejects with ClientError(CONNECT). */
export async function connect(options: ConnectOptions = {}): Promise<FsbusClient> {
  const urls = brokerUrls(options);
  const timeoutMs = timeoutOption(options.timeoutMs, 'connect: timeoutMs') ?? DEFAULT_TIMEOUT_MS;
  const subjects = buildSubjects(options.prefix);
  const inboxPrefix = inboxPrefixOption(options.inboxPrefix, 'connect: inboxPrefix', subjects);
  let driver: Driver;
  let owned = false;
  if (typeof options.driver === 'object') {
    authOption(options.auth, 'auth', undefined);
    driver = options.driver;
  } else {
    const name = driverName(options, urls);
    authOption(options.auth, 'auth', name);
    try {
      driver = await createDriver(name, {
        urls,
        name: options.name ?? 'fsbus-client',
        // The agent's namespace is its prefix (AMQP exchange, Redis lane keys, what counts as a command lane).
        namespace: subjects.prefix,
        ...(options.auth === undefined ? {} : { auth: options.auth }),
        ...(options.tls === undefined ? {} : { tls: options.tls }),
        ...(options.curve === undefined ? {} : { curve: options.curve }),
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
        ...(inboxPrefix === undefined ? {} : { inboxPrefix }),
      });
    } catch (err) {
      throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, (err as Error).message, { cause: err });
    }
    owned = true;
  }
  if (driver.status !== 'connected') {
    try {
      await driver.connect();
    } catch (err) {
      if (owned) await driver.close().catch(() => undefined);
      throw toClientError(err, 'connect', false);
    }
  }
  return new FsbusClient(driver, subjects, timeoutMs, owned, inboxPrefix);
}

export class FsbusClient extends BusCommands {
  readonly #driver: Driver;
  readonly #owned: boolean;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** What ends with the client: pending requests, event streams, execute_app completions. */
  readonly #onClose = new Set<() => void | Promise<void>>();

  /**
   * Use `connect()`; this constructor is for a driver you manage yourself. `inboxPrefix`: the root of
   * executeApp's completion subjects (ConnectOptions.inboxPrefix; checked by connect()).
   */
  constructor(driver: Driver, subjects: Subjects = buildSubjects(), timeoutMs = DEFAULT_TIMEOUT_MS, ownsDriver = false, inboxPrefix = DEFAULT_INBOX_PREFIX) {
    let n = 0;
    const core: ClientCore = {
      driver,
      subjects,
      timeoutMs,
      isClosed: () => this.#closed,
      onClose: (fn) => {
        this.#onClose.add(fn);
        return () => this.#onClose.delete(fn);
      },
      // 128 random bits per wait: the agent sends a copy of a reply to any forward_to, so a
      // subject another client could work out from one it saw would take that copy.
      nextInbox: () => `${inboxPrefix}.fsbus_${randomBytes(16).toString('hex')}.${++n}`,
    };
    super(core);
    this.#driver = driver;
    this.#owned = ownsDriver;
  }

  get driver(): Driver {
    return this.#driver;
  }
  get prefix(): string {
    return this.core.subjects.prefix;
  }
  get subjects(): Subjects {
    return this.core.subjects;
  }

  /** A handle whose every command and event stream targets one node. */
  node(nodeId: string): BusCommands {
    return new BusCommands(this.core, nodeOption(nodeId, 'node id'));
  }

  /**
   * Scatter-gather over `<prefix>.broadcast`: every node runs the command and replies. Resolves
   * with every reply (failures included, each with its node_id); [] when no node answered. An
   * answer that is not an fsbus envelope is not dropped: it is in `badReplies`, with its bytes and
   * a FSBUS_ERR_CLIENT_BAD_REPLY error saying what is wrong. One reply per node, the first: a later
   * one of a node already heard (a copy the broker delivered twice) is counted in `duplicates`,
   * and not towards `expect`. `expect` a list: the result's `missing` names those of its nodes
   * that did not answer; a count: `shortfall` says how many nodes fewer answered. A node that had
   * not answered when the gather ended is not told: it may still run the command.
   */
  async gather<T = unknown>(command: string, options: GatherOptions = {}): Promise<GatherResult<T>> {
    const gathered = await this.#gather(command, options);
    return withExtras(
      gathered.replies.map((r) => r.reply as Reply<T>),
      gathered,
    );
  }

  async #gather(command: string, options: GatherOptions): Promise<Gathered> {
    if (this.#closed) throw new ClientError(ClientErrorCode.CLOSED, 'gather: the client is closed');
    objectOption(options, 'gather: options');
    commandOption(command);
    signalOption(options.signal, 'signal');
    const timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs') ?? this.core.timeoutMs;
    const expect = expectOption(options.expect);
    nodeOption(options.node, 'node');
    // Checked here as request() does: a cancelled gather must not reach every node first.
    if (options.signal?.aborted === true) throw new ClientError(ClientErrorCode.ABORTED, `${command} gather was aborted`);
    const body: Record<string, unknown> = { command, ...(options.fields ?? {}) };
    if (options.args !== undefined) body['args'] = options.args;
    if (options.node !== undefined) body['node_id'] = options.node;
    const data = encodeBody(body, `${command} gather`);
    const subject = this.core.subjects.broadcast;
    let messages;
    try {
      messages = await whileConnected(this.core, `${command} gather`, options.signal, (signal) =>
        this.#driver.gather(subject, data, {
          timeoutMs,
          signal,
          // A node's second reply does not count towards `expect`: it is dropped below.
          ...(expect === undefined ? {} : typeof expect === 'number' ? { expect, replierOf: senderOf } : { doneWhen: allListedHeard(expect) }),
        }),
      );
    } catch (err) {
      // Over the broker's max payload: as for request(), the caller's argument, not a lost connection.
      if (err instanceof TransportError && err.code === TransportErrorCode.UNSUPPORTED) {
        throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${command} gather: ${err.message}`, { cause: err });
      }
      throw brokerRefusal(err, `${command} gather`) ?? toClientError(err, `${command} gather`, this.#closed);
    }
    const gathered: Omit<Gathered, keyof GatherOutcome> = { replies: [], badReplies: [], duplicates: 0, repeats: [] };
    // One reply per node, the first: a broker may deliver one twice (ioredis sends a command again
    // after a lost connection, Kafka an in-flight batch).
    const heard = new Set<string>();
    const repeated = (nodeId: string): boolean => {
      if (heard.has(nodeId)) {
        gathered.duplicates++;
        return true;
      }
      heard.add(nodeId);
      return false;
    };
    for (const m of messages) {
      let reply: ReplyEnvelope | undefined;
      try {
        reply = decodeReply(m.data);
      } catch {
        // Not an envelope: said below.
      }
      if (reply !== undefined) {
        (repeated(reply.node_id) ? gathered.repeats : gathered.replies).push({ reply, data: m.data });
        continue;
      }
      // Someone answered on the broadcast lane with what no fsbus agent sends: kept, said why.
      const { problem, nodeId } = envelopeProblem(m.data);
      if (nodeId !== undefined && repeated(nodeId)) continue;
      const who = nodeId === undefined ? `a reply on ${subject}` : `the reply of node '${nodeId}'`;
      const error = new ClientError(ClientErrorCode.BAD_REPLY, `${command} gather: ${who} is not an fsbus envelope: ${problem}`);
      gathered.badReplies.push({ subject, nodeId, data: m.data, error });
    }
    return { ...gathered, ...outcomeOf(expect, gathered) };
  }

  /**
   * `agent.status` of every node that answers within the timeout, sorted by node id. An answer
   * without a usable status (not an envelope, or a success without a full status) is in
   * `badReplies`, naming the node when it gave one. A later full status of a node in the list from
   * another agent (another `instance_id`; an older agent's: hostname and pid) is in `otherAgents`:
   * two agents serve one node id. A copy of one agent's answer is only counted in `duplicates`.
   */
  async statusAll(options: Omit<GatherOptions, 'args' | 'fields'> = {}): Promise<StatusAllResult> {
    const gathered = await this.#gather('agent.status', options);
    const { replies, badReplies } = gathered;
    const statuses: AgentStatus[] = [];
    const failures: ReplyError[] = [];
    for (const { reply, data } of replies) {
      if (!reply.success) {
        failures.push(new ReplyError(reply));
        continue;
      }
      try {
        statuses.push(agentStatusData(reply, 'agent.status gather'));
      } catch (err) {
        if (!(err instanceof ClientError)) throw err;
        badReplies.push({ subject: this.core.subjects.broadcast, nodeId: reply.node_id, data, error: err });
      }
    }
    statuses.sort((a, b) => a.node_id.localeCompare(b.node_id));
    const otherAgents = otherAgentsOf(statuses, gathered.repeats);
    return Object.defineProperties(withExtras(statuses, gathered), {
      failures: { value: failures, enumerable: false },
      otherAgents: { value: otherAgents, enumerable: false },
    }) as StatusAllResult;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends what is pending (requests and gathers reject with CLOSED, event streams end, execute_app
   * completions reject with CLOSED), then closes the driver if `connect()` made it. Idempotent:
   * every call resolves once that is done.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const pending = [...this.#onClose];
    this.#onClose.clear();
    // Each one's own failure is its own business: the rest still end, and so does the driver.
    await Promise.all(pending.map((end) => Promise.resolve().then(end).catch(() => undefined)));
    if (this.#owned) await this.#driver.close();
  }
}
