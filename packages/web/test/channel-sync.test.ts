// Reading a node's channels when `show channels as json` is larger than the broker carries (a
// node with ~1,200 channels on a 1 MiB NATS): the dashboard falls back to the delimited listing;
// when even that fails, the node's card says so (`sync_error`), a warning is logged once, and
// the read is retried with backoff, not every poll. And a full channel table tells the pages
// what it dropped.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, type EventPayload, type ReplyEnvelope } from '@fsbus/contract';
import { Dashboard, type BusState, type DashboardBus, type NodeView, type Update } from '@fsbus/web';
import { dashboardUntil, startWiring } from './support/wiring.js';

const NODE = 'n1';

function reply(success: boolean, message: string, data?: unknown, code?: string): ReplyEnvelope {
  return { success, status: success ? 'success' : 'error', message, timestamp: Date.now() * 1000, node_id: NODE, ...(data === undefined ? {} : { data }), ...(code === undefined ? {} : { code }) };
}

const TOO_LARGE = reply(false, 'Reply too large for the broker: 1398761 bytes, it takes at most 1048576', undefined, BusErrorCode.REPLY_TOO_LARGE);

/** One node that answers agent.status; `show` answers as the test says. */
class SyncBus implements DashboardBus {
  state: BusState = 'connected';
  readonly reconnects = 0;
  /** The `show` requests, in order (their args). */
  readonly shows: string[] = [];
  gathers = 0;
  show: (args: string) => ReplyEnvelope = () => reply(true, 'ok', '{"row_count": 0}\n');
  readonly #events = new Set<(e: EventPayload) => void>();
  readonly #states = new Set<(s: BusState) => void>();
  readonly #gathered = new Set<() => void>();
  connect(): Promise<void> {
    return Promise.resolve();
  }
  onState(listener: (s: BusState) => void): () => void {
    this.#states.add(listener);
    return () => this.#states.delete(listener);
  }
  setState(s: BusState): void {
    this.state = s;
    for (const l of this.#states) l(s);
  }
  gather(): Promise<ReplyEnvelope[]> {
    this.gathers++;
    for (const l of this.#gathered) l();
    return Promise.resolve([reply(true, 'ok', { node_id: NODE, esl: { status: 'ready', reconnects: 0 } })]);
  }
  /** Resolves once `n` more status polls have started (so the ones before them are done). */
  polls(n: number): Promise<void> {
    const target = this.gathers + n;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.gathers < target) return;
        this.#gathered.delete(check);
        resolve();
      };
      this.#gathered.add(check);
    });
  }
  request(body: Record<string, unknown>): Promise<ReplyEnvelope> {
    const args = String(body['args']);
    this.shows.push(args);
    return Promise.resolve(this.show(args));
  }
  onEvent(listener: (e: EventPayload) => void): () => void {
    this.#events.add(listener);
    return () => this.#events.delete(listener);
  }
  create(uuid: string, name = 'CHANNEL_CREATE', headers: Record<string, string> = {}): void {
    const e: EventPayload = { event_name: name, timestamp: Date.now() * 1000, node_id: NODE, uuid, headers: { 'Event-Name': name, 'Unique-ID': uuid, ...headers } };
    for (const l of this.#events) l(e);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const CSV = 'uuid,direction,created,created_epoch,name,state,cid_name,cid_num,dest,callstate\n' +
  'c1,inbound,2026-12-04 02:57:32,1796353052,sofia/internal/1001@192.0.2.10,CS_EXECUTE,Caller 1001,1001,7001,ACTIVE\n\n1 total.\n';

test('JSON over the broker\'s max payload: the channels are read from the delimited listing, and that node is read so from then on', async () => {
  const bus = new SyncBus();
  bus.show = (args) => (args === 'channels as json' ? TOO_LARGE : reply(true, 'ok', CSV));
  const warnings: string[] = [];
  const d = new Dashboard(bus, { pollIntervalMs: 10, warn: (m) => warnings.push(m) });
  try {
    d.start();
    await dashboardUntil(d, () => d.channel('c1') !== undefined, 'the channel read from the listing');
    assert.deepEqual({ ...d.channel('c1'), created: 0 }, { uuid: 'c1', node_id: NODE, direction: 'inbound', caller: '1001', destination: '7001', name: 'sofia/internal/1001@192.0.2.10', state: 'ACTIVE', application: '', created: 0 });
    assert.deepEqual(bus.shows, ['channels as json', 'channels']);
    bus.setState('reconnecting');
    bus.setState('connected'); // the bus came back: read again, the compact way at once
    await dashboardUntil(d, () => bus.shows.length === 3, 'the read after the bus came back');
    assert.equal(bus.shows[2], 'channels');
    assert.equal(d.snapshot().nodes[0]?.sync_error, undefined);
    assert.deepEqual(warnings, []);
  } finally {
    await d.close();
  }
});

/** The plain listing with every FreeSWITCH column up to `callstate` that the table reads. */
const HEAD = 'uuid,direction,created,created_epoch,name,state,cid_name,cid_num,dest,application,application_data,callstate';
function listing(...rows: string[]): string {
  return rows.length === 0 ? '\n0 total.\n' : `${HEAD}\n${rows.join('\n')}\n\n${rows.length} total.\n`;
}
function row(uuid: string, data = 'default'): string {
  return `${uuid},inbound,2026-12-04 02:57:32,1796353052,sofia/internal/1001@192.0.2.10,CS_EXECUTE,Caller 1001,1001,7001,playback,${data},ACTIVE`;
}

test('a plain listing split by a multi-line value removes no live channel: the split one stays and its later events still apply', async () => {
  const bus = new SyncBus();
  bus.show = (args) => (args === 'channels as json' ? TOO_LARGE : reply(true, 'ok', listing()));
  const warnings: string[] = [];
  const d = new Dashboard(bus, { pollIntervalMs: 10, syncRetryMs: 200_000, warn: (m) => warnings.push(m) });
  try {
    d.start();
    await dashboardUntil(d, () => bus.shows.length === 2 && d.snapshot().nodes[0]?.sync_error === undefined, 'the first read');
    // A live call, created long before the next read (as FreeSWITCH's own created time says).
    bus.create('c2', 'CHANNEL_CREATE', { 'Caller-Channel-Created-Time': '1796353000000000' });
    await dashboardUntil(d, () => d.channel('c2') !== undefined, 'the live call');
    // execute_app sends multi-line args verbatim: its application_data splits its row in two.
    bus.show = () => reply(true, 'ok', listing(row('c1'), row('c2', 'first line\nsecond line')));
    bus.setState('reconnecting');
    bus.setState('connected');
    await dashboardUntil(d, () => d.channel('c1') !== undefined, 'the read with the split row');
    assert.notEqual(d.channel('c2'), undefined, 'the live channel whose row was split is still listed');
    bus.create('c2', 'CHANNEL_ANSWER', { 'Channel-Call-State': 'ACTIVE' });
    await dashboardUntil(d, () => d.channel('c2')?.state === 'ACTIVE', 'its answer applied');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /channel listing of n1 has lines that are not rows .*1 channel\(s\) read, none removed/);
  } finally {
    await d.close();
  }
});

test('a node on the plain listing goes back to JSON once it has half the channels it had at the switch', async () => {
  const bus = new SyncBus();
  let rows = [row('c1'), row('c2')];
  bus.show = (args) => (args === 'channels as json' ? TOO_LARGE : reply(true, 'ok', listing(...rows)));
  const d = new Dashboard(bus, { pollIntervalMs: 10, syncRetryMs: 200_000 });
  const reread = async (n: number): Promise<void> => {
    bus.setState('reconnecting');
    bus.setState('connected');
    await dashboardUntil(d, () => bus.shows.length >= n, `read ${n}`);
  };
  try {
    d.start();
    await dashboardUntil(d, () => d.channel('c2') !== undefined, 'the first read');
    assert.deepEqual(bus.shows, ['channels as json', 'channels']);
    await reread(3); // as many channels: still the listing
    rows = [row('c1')];
    await reread(4); // half of them: this read is the listing, the next one JSON
    await dashboardUntil(d, () => d.channel('c2') === undefined, 'c2 gone');
    await reread(5);
    assert.equal(bus.shows[4], 'channels as json', 'JSON tried again');
    await dashboardUntil(d, () => bus.shows.length === 6, 'JSON too large again: back to the listing at once');
    assert.deepEqual(bus.shows, ['channels as json', 'channels', 'channels', 'channels', 'channels as json', 'channels']);
  } finally {
    await d.close();
  }
});

test('a node whose channels cannot be read: the card says so, one warning, retries with backoff, cleared once a read works', async () => {
  const bus = new SyncBus();
  bus.show = () => TOO_LARGE;
  const warnings: string[] = [];
  const updates: NodeView[] = [];
  // A retry wait no test run reaches: any read after the first pair is a new reason, not the timer.
  const d = new Dashboard(bus, { pollIntervalMs: 10, syncRetryMs: 200_000, warn: (m) => warnings.push(m) });
  d.onUpdate((u: Update) => updates.push(...(u.nodes ?? [])));
  try {
    d.start();
    await dashboardUntil(d, () => d.snapshot().nodes[0]?.sync_error !== undefined, 'the sync error on the card');
    d.flush();
    const error = d.snapshot().nodes[0]?.sync_error;
    assert.equal(error?.code, BusErrorCode.REPLY_TOO_LARGE);
    assert.match(error?.message ?? '', /^could not read the channels of n1 \(its channel list may be stale\): Reply too large for the broker/);
    assert.equal(error?.attempts, 1);
    assert.ok((error?.retry_at ?? 0) >= (error?.since ?? Infinity) + 200_000);
    assert.ok(updates.some((n) => n.sync_error?.code === BusErrorCode.REPLY_TOO_LARGE), 'open pages hear of it too');
    // Many polls later: no new read (it was every poll), no new warning.
    await bus.polls(5);
    assert.deepEqual(bus.shows, ['channels as json', 'channels']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /could not read the channels of n1.*FSBUS_ERR_BUS_REPLY_TOO_LARGE.*retrying with backoff/);
    // A new reason to read (the bus came back) tries at once; still failing: attempt 2, still one warning.
    bus.setState('reconnecting');
    bus.setState('connected');
    await dashboardUntil(d, () => d.snapshot().nodes[0]?.sync_error?.attempts === 2, 'the second attempt');
    assert.equal(warnings.length, 1);
    // It works again: the error leaves the card, and the log says so.
    bus.show = (args) => (args === 'channels as json' ? TOO_LARGE : reply(true, 'ok', CSV));
    bus.setState('reconnecting');
    bus.setState('connected');
    await dashboardUntil(d, () => d.channel('c1') !== undefined && d.snapshot().nodes[0]?.sync_error === undefined, 'the read that works');
    assert.match(warnings[1] ?? '', /channels of n1 read again after 2 failed attempt/);
  } finally {
    await d.close();
  }
});

test('a full channel table drops its oldest channel from the pages too, and warns once per burst', async () => {
  const bus = new SyncBus();
  const warnings: string[] = [];
  const removed: string[] = [];
  const tables: unknown[] = [];
  const d = new Dashboard(bus, { pollIntervalMs: 60_000, maxChannels: 2, warn: (m) => warnings.push(m) });
  d.onUpdate((u) => {
    removed.push(...(u.removes ?? []));
    if (u.table !== undefined) tables.push(u.table);
  });
  try {
    d.start();
    assert.deepEqual(d.snapshot().table, { max: 2, evicted: 0 });
    for (const uuid of ['u1', 'u2', 'u3', 'u4']) bus.create(uuid);
    d.flush();
    assert.deepEqual(removed, ['u1', 'u2']);
    assert.deepEqual(d.snapshot().channels.map((c) => c.uuid), ['u3', 'u4']);
    // The pages are told how many were dropped (in the snapshot too, for a page opened later).
    assert.deepEqual(tables, [{ max: 2, evicted: 2 }]);
    assert.deepEqual(d.snapshot().table, { max: 2, evicted: 2 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /more than 2 live channels: the oldest are dropped/);
  } finally {
    await d.close();
  }
});

test('a node whose `show channels as json` is over the broker\'s max_payload still gets its channels read (real nats-server, agent, simulator)', async () => {
  // ~850 bytes a JSON row, ~250 in the listing: 30-50 channels pass 16 KiB as JSON only.
  const w = await startWiring(['fs-node-01'], {}, { maxPayloadBytes: 16 * 1024 });
  try {
    const node = w.nodes[0]!;
    const live = (): string[] => w.web.dashboard.snapshot().channels.filter((c) => c.node_id === node.id).map((c) => c.uuid).sort();
    // A fixed number of calls (the generator's quota is clock-driven: 45 however loaded the machine
    // is), not "stop once 30 are seen": under load that overshot past what the listing fits.
    const gen = node.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 450, holdMs: 600_000, answerRatio: 1 });
    await gen.done;
    const count = Number((JSON.parse(await node.sim.core.api('show', 'channels count as json')) as { row_count: number }).row_count);
    const listing = await node.sim.core.api('show', 'channels');
    assert.ok(listing.length < 16 * 1024 - 1024, `${listing.length} bytes of listing for ${count} channels: within what the broker carries`);
    await dashboardUntil(w.web.dashboard, () => live().length === count, `the table to hold the simulator's ${count} channels`);
    const expected = live();
    const json = await node.sim.core.api('show', 'channels as json');
    assert.ok(json.length > 16 * 1024, `${json.length} bytes of JSON: more than the broker carries`);
    // A fresh dashboard knows them only by reading them (no events: the calls are held).
    await w.web.close();
    const web = await w.restartWeb();
    await dashboardUntil(web.dashboard, () => web.dashboard.snapshot().channels.length === expected.length, `the ${expected.length} channels read from the node`);
    assert.deepEqual(web.dashboard.snapshot().channels.map((c) => c.uuid).sort(), expected);
    assert.equal(web.dashboard.snapshot().nodes[0]?.sync_error, undefined);
  } finally {
    await w.stop();
  }
});
