// The kafka driver where the library can throw out of the process, each case made to happen:
// - a reader through a group rebalance: when another member leaves, the library rejoins the group,
//   and a failed rejoin is an 'error' event on the consumer itself. Unheard, that event threw (an
//   agent stopping after its peer). The moment the rejoin starts is read from the library's own
//   diagnostics channel, so no test here waits on a guess;
// - a consumer group name the library refuses (white space) given as a queue or durable name;
// - a record in fsbus.streams that is not a stream description;
// - a shared group whose member left before reading a partition: the next one starts where it was;
// - a request its producer sent twice (the broker stalled under the produce): run once;
// - a broker that stops answering: a request is not held on the group listing;
// - a private reader after a broker restart: back in its group at once, as a static member.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { tracingChannel } from 'node:diagnostics_channel';
import { Admin, Producer } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import type { DriverLogger } from '../src/driver.js';
import { STREAMS_TOPIC } from '../src/drivers/kafka/kafka-streams.js';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { KafkaReader, type ReaderSpec } from '../src/drivers/kafka/kafka-reader.js';
import { ServedTopics } from '../src/drivers/kafka/kafka-served.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';

ensurePromiseWithResolvers();

const TOPIC = 'freeswitch.api';
let kafka: KafkaHandle;

before(async () => {
  kafka = await startKafka();
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'rejoin-admin'));
  try {
    await admin.createTopics({ topics: [TOPIC], partitions: 6, replicas: 1 });
  } finally {
    await admin.close();
  }
});
after(() => kafka.stop());

interface JoinContext {
  operation: string;
}

/**
 * Calls `onStart` when some consumer starts a group join; `finished` resolves once that join has
 * answered (well or not), so its callbacks have run before the test ends.
 */
function nextJoin(onStart: () => void | Promise<void>): { started: Promise<void>; finished: Promise<void> } {
  const channel = tracingChannel<unknown, JoinContext>('plt:kafka:consumer:group');
  let join: JoinContext | undefined;
  let started!: () => void;
  let finished!: () => void;
  const handlers = {
    start(ctx: JoinContext) {
      if (join !== undefined || ctx.operation !== 'joinGroup') return;
      join = ctx;
      void Promise.resolve(onStart()).then(started);
    },
    end() {},
    asyncStart(ctx: JoinContext) {
      if (ctx === join) {
        channel.unsubscribe(handlers);
        finished();
      }
    },
    asyncEnd() {},
    error() {},
  };
  channel.subscribe(handlers);
  return { started: new Promise((r) => (started = r)), finished: new Promise((r) => (finished = r)) };
}

function lanePair(group: string, logger?: DriverLogger, onMessage: (value: string) => void = () => undefined) {
  // Short request timeouts and no library retries: requests to a frozen broker fail instead of
  // waiting. `timeout` is the wait a request asks of the broker; the client gives a request up at
  // the connection's `requestTimeout` only (the library's default 30 s).
  const base = { ...baseOptions({ urls: [kafka.url] }, group), timeout: 2000, requestTimeout: 5000, retries: 0 };
  const spec: ReaderSpec = { topic: TOPIC, group, mode: 'committed', commitEach: true };
  const first = new KafkaReader(base, spec, () => undefined);
  const second = new KafkaReader(base, spec, (m) => onMessage(m.value.toString()), logger);
  first.start();
  second.start();
  return { first, second, ready: Promise.all([first.ready, second.ready]) };
}

void test('kafka reader: closed while its group rejoins (its peer just left), nothing is thrown', async () => {
  const { first, second, ready } = lanePair('rejoin-close');
  await ready;
  // The peer leaves; the rebalance makes the other member rejoin, and it is closed right then.
  const join = nextJoin(() => second.close());
  await first.close();
  await join.started;
  // The rejoin fails ("Connection closed") on a consumer being closed: an uncaught error would fail this test.
  await join.finished;
  await new Promise((r) => setImmediate(r));
});

void test('kafka reader: a rejoin that fails while it runs is started over, and the reader reads again', { timeout: 120_000 }, async () => {
  const debug = debugLines();
  const got: string[] = [];
  let wake: (() => void) | undefined;
  const { first, second, ready } = lanePair('rejoin-fail', debug.logger, (v) => {
    got.push(v);
    wake?.();
  });
  try {
    await ready;
    // The broker stops answering just as the remaining member rejoins: the join times out under it.
    const join = nextJoin(() => kafka.pause());
    await first.close();
    await join.started;
    await join.finished;
    const positionedBefore = debug.count('kafka reader positioned');
    await debug.until('kafka reader restarts', 1);
    kafka.resume();
    await debug.until('kafka reader positioned', positionedBefore + 1);
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>(baseOptions({ urls: [kafka.url] }, 'rejoin-producer'));
    try {
      const seen = new Promise<void>((resolve) => (wake = resolve));
      await producer.send({ messages: [{ topic: TOPIC, key: Buffer.from('k'), value: Buffer.from('after the restart') }] });
      await seen;
      assert.deepEqual(got, ['after the restart']);
    } finally {
      await producer.close();
    }
  } finally {
    kafka.resume();
    await first.close();
    await second.close();
  }
});

void test('kafka: a queue or durable name with white space, or a stream capped by count, is refused, typed, and a reader given one does not throw', async () => {
  const d = await createDriver('kafka', { urls: [kafka.url] });
  try {
    await d.connect();
    assert.throws(() => d.subscribe('freeswitch.events.>', () => undefined, { queue: 'my group' }), { code: TransportErrorCode.UNSUPPORTED });
    await d.ensureStream({ name: 'names', subjects: ['names.events.>'] });
    // A topic has no record-count limit: a count cap is refused, not dropped.
    await assert.rejects(d.ensureStream({ name: 'counted', subjects: ['counted.events.>'], maxMessages: 1000 }), { code: TransportErrorCode.UNSUPPORTED, message: /cannot be capped by count/ });
    await assert.rejects(d.consumeDurable({ stream: 'names', durable: 'my app' }, () => undefined), { code: TransportErrorCode.UNSUPPORTED });
    await assert.rejects(d.consumeDurable({ stream: 'names', durable: '' }, () => undefined), { code: TransportErrorCode.UNSUPPORTED });
  } finally {
    await d.close();
  }
  // Below the driver: the library's constructor throws; the reader starts over instead of rejecting unheard.
  const debug = debugLines();
  const reader = new KafkaReader(baseOptions({ urls: [kafka.url] }, 'bad-group'), { topic: TOPIC, group: 'bad group', mode: 'committed', commitEach: true }, () => undefined, debug.logger);
  reader.start();
  await debug.until('kafka reader restarts', 1);
  await reader.close();
});

void test('kafka: a record in fsbus.streams that is not a stream description is passed over', async () => {
  const writer = await createDriver('kafka', { urls: [kafka.url] });
  const reader = await createDriver('kafka', { urls: [kafka.url] });
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>(baseOptions({ urls: [kafka.url] }, 'junk-producer'));
  try {
    await writer.connect();
    await reader.connect();
    // The topic exists once a stream was described; the junk goes in before the one read here.
    await writer.ensureStream({ name: 'first', subjects: ['first.events.>'] });
    for (const value of ['not json', 'null', '{"name":"junked"}']) {
      await producer.send({ messages: [{ topic: STREAMS_TOPIC, key: Buffer.from('junked'), value: Buffer.from(value) }] });
    }
    await writer.ensureStream({ name: 'junked', subjects: ['junked.events.>'] });
    writer.publish('junked.events.one', new TextEncoder().encode('1'));
    await writer.flush();
    // The reader knows nothing of 'junked' yet: it looks it up in fsbus.streams, junk first.
    const got = await new Promise<string>((resolve, reject) => {
      reader.consumeDurable({ stream: 'junked', from: 'all' }, (m) => resolve(m.subject)).catch(reject);
    });
    assert.equal(got, 'junked.events.one');
  } finally {
    await producer.close();
    await reader.close();
    await writer.close();
  }
});

/** The reader's debug lines; `until(msg, n)` resolves once `msg` was logged n times. */
function debugLines() {
  const lines: string[] = [];
  const waiters: Array<{ msg: string; n: number; wake: () => void }> = [];
  const count = (msg: string) => lines.filter((l) => l === msg).length;
  const logger: DriverLogger = {
    debug: (_o, msg = '') => {
      lines.push(msg);
      for (const w of waiters) if (count(w.msg) >= w.n) w.wake();
    },
    info() {},
    warn() {},
    error() {},
  };
  const until = (msg: string, n: number) => new Promise<void>((wake) => (count(msg) >= n ? wake() : waiters.push({ msg, n, wake })));
  return { logger, count, until };
}

void test('kafka reader: a shared group goes on where it stopped on every partition, even one it never read from', { timeout: 120_000 }, async () => {
  const topic = 'anchor.api';
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'anchor-admin'));
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>(baseOptions({ urls: [kafka.url] }, 'anchor-producer'));
  const spec: ReaderSpec = { topic, group: 'anchor', mode: 'committed', commitEach: true };
  const base = baseOptions({ urls: [kafka.url] }, 'anchor');
  try {
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    // The group's first member joins and leaves without reading anything (an agent that restarts).
    const first = new KafkaReader(base, spec, () => undefined);
    first.start();
    await first.ready;
    await first.close();
    // Written while nobody reads, one to each partition: the next member must run every one.
    for (let partition = 0; partition < 3; partition++) {
      await producer.send({ messages: [{ topic, partition, key: Buffer.from('k'), value: Buffer.from(`while away ${partition}`) }] });
    }
    const got = new Collector<string>();
    const second = new KafkaReader(base, spec, (m) => got.push(m.value.toString()));
    second.start();
    try {
      assert.deepEqual((await got.until(3, 30_000)).sort(), ['while away 0', 'while away 1', 'while away 2']);
    } finally {
      await second.close();
    }
  } finally {
    await producer.close();
    await admin.close();
  }
});

void test('kafka: a request the producer sent twice (the broker stalled under it) runs once, and its reply comes', { timeout: 180_000 }, async () => {
  const subject = 'twice.api';
  const server = await createDriver('kafka', { urls: [kafka.url], name: 'twice-server' });
  // The frozen broker noticed within two liveness intervals (4 s), not the default's 20 s.
  const client = await createDriver('kafka', { urls: [kafka.url], name: 'twice-client', livenessIntervalMs: 2000 });
  const executed = new Collector<string>();
  try {
    await server.connect();
    await client.connect();
    server.serve({ subject, competing: true }, (req) => {
      executed.push(dec(req.data));
      return enc('done');
    });
    await server.flush();
    assert.equal(dec((await client.request(subject, enc('warm-up'), { timeoutMs: 60_000 })).data), 'done');
    // The broker stops answering with the produce in its socket: the driver's liveness check drops
    // the silent connection, the library sends the request again; once resumed, the broker appends
    // the first copy and the retry.
    await kafka.pause();
    const once = client.request(subject, enc('once'), { timeoutMs: 120_000 });
    await waitStatus(client, 'reconnecting', 90_000);
    kafka.resume();
    assert.equal(dec((await once).data), 'done');
    await waitStatus(client, 'connected', 60_000);
    // Produced after the copies, to the lane the server reads in order per partition.
    assert.equal(dec((await client.request(subject, enc('after'), { timeoutMs: 60_000 })).data), 'done');
    assert.deepEqual(executed.items, ['warm-up', 'once', 'after']);
  } finally {
    kafka.resume();
    await client.close();
    await server.close();
  }
});

// Bounded well below the listing's own request timeout (30 s, then a retry): without the bound
// on the wait, the answer comes only after those.
void test('kafka: a broker that stops answering does not hold a request on the group listing: the topic existing answers', { timeout: 20_000 }, async () => {
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'served-wait-admin'));
  const warned: string[] = [];
  const served = new ServedTopics(() => admin, { debug() {}, info() {}, warn: (_o, msg = '') => warned.push(msg), error() {} });
  try {
    await admin.metadata({ topics: [] });
    await kafka.pause();
    assert.equal(await served.served(TOPIC), true);
    assert.deepEqual(warned, [], 'no listing failed: it was not waited for');
  } finally {
    kafka.resume();
    await admin.close();
  }
});

void test('kafka: after a broker restart a private reader takes its place back in its group at once (a static member)', { timeout: 120_000 }, async () => {
  const d = await createDriver('kafka', { urls: [kafka.url], name: 'static-member' });
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'static-member-admin'));
  try {
    await d.connect();
    const got = new Collector<string>();
    d.subscribe('restart.events.>', (m) => got.push(dec(m.data)));
    await d.flush();
    const groups = [...(await admin.listGroups()).keys()].filter((g) => g.startsWith('static-member-') && g.endsWith('.sub.1'));
    assert.equal(groups.length, 1, `the subscription's own group: ${groups.join(', ')}`);
    await kafka.halt();
    await waitStatus(d, 'reconnecting', 60_000);
    await kafka.start();
    await waitStatus(d, 'connected', 60_000);
    d.publish('restart.events.x', enc('after the restart'));
    assert.deepEqual(await got.until(1, 60_000), ['after the restart']);
    // A dynamic member's rejoin waited (≈9 s) for the member from before the restart to time out:
    // a static one replaces it, so the group holds exactly the reader, known by its instance id.
    const group = (await admin.describeGroups({ groups })).get(groups[0]!);
    assert.equal(group?.state, 'Stable');
    assert.deepEqual([...group.members.values()].map((m) => m.groupInstanceId), ['fsbus-reader']);
  } finally {
    await admin.close();
    await d.close();
  }
});
