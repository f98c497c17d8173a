import { after, afterEach, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'amqplib';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type DriverLogger } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';
import { runConformance } from './conformance/suite.js';

/**
 * One RabbitMQ for the whole file (a start takes seconds): the conformance cases (whose fault cases
 * restart it and leave it running) and the cases below, each on subjects of its own. Stopped once
 * everything in the file has run.
 */
let rabbit: Promise<RabbitMqHandle> | undefined;
const sharedRabbitMq = (): Promise<RabbitMqHandle> => (rabbit ??= startRabbitMq());
after(async () => {
  await rabbit?.then(
    (b) => b.stop(),
    () => undefined,
  );
});

runConformance({
  driver: 'amqp',
  startBroker: async () => {
    const b = await sharedRabbitMq();
    // The suite's own stop() at its end is left to the file's after(): the cases below use it next.
    return {
      get url() {
        return b.url;
      },
      halt: () => b.halt(),
      start: () => b.start(),
      stop: async () => undefined,
    };
  },
  create: (options) => createDriver('amqp', options),
});

void test('amqp: a dead URL fails with a typed error', async () => {
  const d = await createDriver('amqp', { urls: ['amqp://127.0.0.1:1'], connectTimeoutMs: 1000 });
  await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
  await d.close();
  assert.equal(d.status, 'closed');
});

void test('amqp: a pattern AMQP cannot bind (over 255 bytes, `#` in a token) is refused at subscribe/serve, typed', async () => {
  const d = await createDriver('amqp', { urls: ['amqp://127.0.0.1:1'] });
  for (const bad of [`t.${'x'.repeat(300)}`, 'a.b#', 'a..b', 'a.>.b']) {
    assert.throws(() => d.subscribe(bad, () => undefined), { code: TransportErrorCode.UNSUPPORTED }, bad);
    assert.throws(() => d.serve({ subject: bad, competing: false }, () => undefined), { code: TransportErrorCode.UNSUPPORTED }, bad);
  }
  await d.close();
});

/** What a driver logged, each line with its level and message beside its fields. */
function capturedLog(): { lines: Array<Record<string, unknown>>; logger: DriverLogger; said(msg: string): Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const at = (level: string) => (fields: object, msg?: string) => void lines.push({ ...fields, level, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, said: (msg) => lines.filter((l) => l.msg === msg) };
}

/** A driver's drops, and how many of them were replies. */
function drops(d: Driver): { dropped: number; repliesDropped: number } {
  const { dropped, repliesDropped } = d.stats();
  return { dropped, repliesDropped };
}

/** The log line of a reply lost with its connection (publish-confirms.ts). */
const REPLY_DROPPED = 'reply not confirmed by the broker: dropped, not sent again';
/** The log line of a request whose reply address RabbitMQ cannot take (amqp-driver.ts). */
const BAD_REPLY_TO = 'request with a reply address RabbitMQ cannot take: skipped, not run';
/** The reviewer's reproduction: RabbitMQ 3.10 closed the replying connection with 541 for it. */
const UNDECODABLE_REPLY_TO = 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.xx';

/**
 * A well-formed direct reply-to name on a node the cluster does not have: no client can tell it
 * from a live one, and RabbitMQ 3.10 closes the replying connection (541) for it all the same.
 */
function unknownNodeReplyTo(): string {
  const node = Buffer.from('reply@1');
  const pid = Buffer.concat([Buffer.from([131, 88, 118, 0, node.length]), node, Buffer.from([0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 1])]);
  return `amq.rabbitmq.reply-to.${pid.toString('base64')}.${Buffer.alloc(16, 7).toString('base64')}`;
}

// The file's one broker for the cases below; each case's drivers are closed after it.
void describe('amqp: publishes, subscriptions and queue groups around the connection', () => {
  let broker: RabbitMqHandle;
  const opened: Driver[] = [];
  /** A driver of this case, connected unless `connect` is false. */
  const driver = async (name: string, options: { url?: string; connect?: boolean; logger?: DriverLogger } = {}): Promise<Driver> => {
    const d = await createDriver('amqp', { urls: [options.url ?? broker.url], name, ...(options.logger === undefined ? {} : { logger: options.logger }) });
    opened.push(d);
    if (options.connect !== false) await d.connect();
    return d;
  };
  before(async () => {
    broker = await sharedRabbitMq();
  });
  afterEach(async () => {
    for (const d of opened.splice(0)) await d.close();
  });

  void test('amqp: events published into a link that hung, then broke, are sent again after the reconnect — none lost, none counted as published twice', async () => {
    const relay = await startRelay(Number(new URL(broker.url).port));
    try {
      const pub = await driver('stalled-pub', { url: relay.url(broker.url) });
      const sub = await driver('direct-sub');
      const got = new Set<string>();
      const all = new Collector<string>();
      sub.subscribe('st.ev', (m) => {
        const n = dec(m.data);
        if (!got.has(n)) all.push(n); // at least once: a copy the broker had already routed may come twice
        got.add(n);
      });
      await sub.flush();
      for (let i = 0; i < 10; i++) pub.publish('st.ev', enc(String(i)));
      await pub.flush();
      // The link hangs: amqplib still writes (into a socket nobody reads), nothing is confirmed.
      relay.stall();
      for (let i = 10; i < 60; i++) assert.equal(pub.publish('st.ev', enc(String(i))), 'sent');
      const away = waitStatus(pub, 'reconnecting');
      await relay.cut();
      await away;
      await relay.restore();
      await waitStatus(pub, 'connected');
      await pub.flush();
      assert.equal((await all.until(60)).length, 60);
      assert.equal(pub.stats().dropped, 0);
      assert.equal(pub.stats().published, 60);
    } finally {
      await relay.close();
    }
  });

  void test('amqp: subscriptions made while connect() sets up the earlier ones all receive (they were skipped: no channel yet)', async () => {
    const pub = await driver('pub');
    const d = await driver('late-subscriber', { connect: false });
    // Forty consumers to set up make connect() take a while: what is subscribed meanwhile lands in that window.
    for (let i = 0; i < 40; i++) d.subscribe(`pre.s${i}`, () => undefined);
    const got = new Collector<string>();
    const late: string[] = [];
    let connected = false;
    const connecting = d.connect().then(() => (connected = true));
    for (let i = 0; !connected; i++) {
      if (late.length < 200 && i % 4 === 0) {
        const subject = `late.s${late.length}`;
        late.push(subject);
        d.subscribe(subject, (m) => got.push(m.subject));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await connecting;
    await d.flush();
    for (const s of late) pub.publish(s, enc('x'));
    await pub.flush();
    assert.deepEqual([...(await got.until(late.length))].sort(), [...late].sort());
  });

  void test('amqp: subscribe({queue}) groups are per pattern, as in NATS — one group name on two patterns does not mix their messages', async () => {
    const pub = await driver('pub');
    const d = await driver('workers');
    const x = new Collector<string>();
    const y = new Collector<string>();
    d.subscribe('qa.x', (m) => x.push(m.subject), { queue: 'workers' });
    d.subscribe('qa.y', (m) => y.push(m.subject), { queue: 'workers' });
    await d.flush();
    for (let i = 0; i < 4; i++) pub.publish('qa.x', enc(String(i)));
    pub.publish('qa.y', enc('y'));
    await pub.flush();
    assert.deepEqual(await x.until(4), ['qa.x', 'qa.x', 'qa.x', 'qa.x']);
    assert.deepEqual(await y.until(1), ['qa.y']);
  });

  void test('amqp: a lane whose queue the broker refuses (declared elsewhere with other arguments) is reported and dropped; the other lanes are served', async () => {
    // Another tool declared the lane's queue durable: RabbitMQ refuses ours (406 PRECONDITION_FAILED),
    // which closes the channel — on every reconnect, so the whole driver stayed down.
    const other = await connect(broker.url);
    const ch = await other.createChannel();
    await ch.assertQueue('refused.api', { durable: true });
    try {
      const d = await driver('refused-server');
      let timer: NodeJS.Timeout | undefined;
      const dropped = new Promise<string>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error('the refused lane was never reported as dropped')), 15_000);
        d.on((e) => {
          if (e.type === 'error' && /dropped/.test(e.error.message)) resolve(e.error.message);
        });
      });
      d.serve({ subject: 'refused.api', competing: true }, () => enc('api'));
      d.serve({ subject: 'refused.node.n1', competing: false }, () => enc('n1'));
      const message = await dropped.finally(() => clearTimeout(timer));
      assert.match(message, /refused\.api.*dropped.*PRECONDITION_FAILED/);
      await waitStatus(d, 'connected');
      const client = await driver('refused-client');
      assert.equal(dec((await client.request('refused.node.n1', enc(''), { timeoutMs: 5000 })).data), 'n1');
    } finally {
      await ch.deleteQueue('refused.api');
      await other.close();
    }
  });
  void test('amqp: a reply written but not confirmed when its connection drops is dropped, counted and logged with its address (key hidden) — not sent again on the next connection', async () => {
    const relay = await startRelay(Number(new URL(broker.url).port));
    const requester = await connect(broker.url);
    try {
      const log = capturedLog();
      const server = await driver('once-server', { url: relay.url(broker.url), logger: log.logger });
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const arrived = new Collector<string>();
      server.serve({ subject: 'once.api', competing: true }, async (req) => {
        const body = dec(req.data);
        arrived.push(body);
        if (body === 'held') await released;
        return enc(`re:${body}`);
      });
      await server.flush();
      const ch = await requester.createChannel();
      const replies = new Collector<string>();
      await ch.consume('amq.rabbitmq.reply-to', (m) => m !== null && replies.push(`${m.properties.correlationId as string} ${m.content.toString()}`), { noAck: true });
      const ask = (body: string) => ch.publish('freeswitch', 'once.api', Buffer.from(body), { replyTo: 'amq.rabbitmq.reply-to', correlationId: `c-${body}` });
      ask('held');
      await arrived.until(1);
      // The broker's answers stop reaching the server: the reply's confirm never arrives.
      relay.holdAnswers();
      release();
      await replies.until(1);
      const away = waitStatus(server, 'reconnecting');
      await relay.cut();
      await away;
      await relay.restore();
      await waitStatus(server, 'connected');
      // Sent again, the reply would come before this one (same channels both ends, in order).
      ask('after');
      assert.deepEqual([...(await replies.until(2))], ['c-held re:held', 'c-after re:after']);
      // A reply, not an event: in repliesDropped too.
      assert.deepEqual(drops(server), { dropped: 1, repliesDropped: 1 });
      const [line] = log.said(REPLY_DROPPED);
      assert.equal(line?.correlation_id, 'c-held');
      assert.match(String(line?.reply_to), /^amq\.rabbitmq\.reply-to\.[A-Za-z0-9+/=]+\.\*\*\*$/);
    } finally {
      await requester.close();
      await relay.close();
    }
  });

  void test('amqp: requests whose direct reply-to name RabbitMQ cannot decode (the reproduction) are not run — counted as refused, logged with their subject; the connection stays up', async () => {
    const log = capturedLog();
    const server = await driver('bad-reply-server', { logger: log.logger });
    const statuses: string[] = [];
    server.on((e) => e.type === 'status' && statuses.push(e.status));
    const served = new Collector<string>();
    server.serve({ subject: 'badreply.api', competing: true }, (req) => {
      served.push(`${dec(req.data)} expectsReply=${String(req.expectsReply)}`);
      return enc(`re:${dec(req.data)}`);
    });
    await server.flush();
    const bad = [
      UNDECODABLE_REPLY_TO,
      'amq.rabbitmq.reply-to.!!!!.xx',
      `amq.rabbitmq.reply-to.${Buffer.from([131, 119, 3, 97, 98, 99]).toString('base64')}.${Buffer.alloc(16).toString('base64')}`,
    ];
    const raw = await connect(broker.url);
    try {
      const ch = await raw.createConfirmChannel();
      bad.forEach((replyTo, i) => ch.publish('freeswitch', 'badreply.api', Buffer.from(`bad-${i}`), { replyTo, correlationId: `b${i}` }));
      // Confirmed: in the lane's queue, before the request below (one consumer, delivered in order).
      await ch.waitForConfirms();
      const client = await driver('bad-reply-client');
      assert.equal(dec((await client.request('badreply.api', enc('next'), { timeoutMs: 10_000 })).data), 're:next');
      assert.deepEqual(served.items, ['next expectsReply=true'], 'none of the refused ran');
      // Whatever the server sent is confirmed: a reply RabbitMQ could not take would have closed the connection.
      await server.flush();
      assert.deepEqual(statuses, []);
      assert.equal(server.stats().reconnects, 0);
      assert.equal(server.stats().requestsRefused, bad.length);
      assert.deepEqual(drops(server), { dropped: 0, repliesDropped: 0 }, 'refused, not dropped');
      // Once per burst: the first said, the others counted into a later line.
      const [line] = log.said(BAD_REPLY_TO);
      assert.equal(line?.subject, 'badreply.api');
      assert.equal(line?.reply_to, 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.***');
      assert.equal(line?.level, 'warn');
    } finally {
      await raw.close();
    }
  });

  void test('amqp: a reply RabbitMQ closes the connection for (a well-formed name on a node it lacks: 541) costs that connection once — dropped, counted, the close logged with the broker\'s code and text', async () => {
    const log = capturedLog();
    const server = await driver('crash-server', { logger: log.logger });
    server.serve({ subject: 'crash.api', competing: true }, (req) => enc(`re:${dec(req.data)}`));
    await server.flush();
    const raw = await connect(broker.url);
    try {
      const ch = await raw.createChannel();
      const away = waitStatus(server, 'reconnecting');
      ch.publish('freeswitch', 'crash.api', Buffer.from('x'), { replyTo: unknownNodeReplyTo(), correlationId: 'c-crash' });
      await away;
      await waitStatus(server, 'connected');
      // Sent again, the reply would close this connection too: flush() would fail, the request below not be answered.
      await server.flush();
      const client = await driver('crash-client');
      assert.equal(dec((await client.request('crash.api', enc('next'), { timeoutMs: 10_000 })).data), 're:next');
      await server.flush();
      assert.equal(server.stats().reconnects, 1);
      assert.deepEqual(drops(server), { dropped: 1, repliesDropped: 1 });
      const [closed] = log.said('RabbitMQ closed the connection');
      assert.deepEqual([closed?.code, closed?.reason, closed?.level], [541, 'INTERNAL_ERROR', 'warn']);
      assert.equal(log.said(REPLY_DROPPED)[0]?.correlation_id, 'c-crash');
    } finally {
      await raw.close();
    }
  });

  void test('amqp: connections that die right after they open are retried ever more slowly — an open does not reset the backoff', async () => {
    const relay = await startRelay(Number(new URL(broker.url).port));
    try {
      const log = capturedLog();
      const d = await driver('flapping', { url: relay.url(broker.url), logger: log.logger });
      for (let i = 0; i < 4; i++) {
        const away = waitStatus(d, 'reconnecting');
        await relay.cut();
        await away;
        await relay.restore();
        await waitStatus(d, 'connected');
      }
      const delays = log.said('reconnect scheduled').map((l) => l.delay_ms as number);
      assert.ok(delays.length >= 4, `${delays.length} reconnects scheduled`);
      // Doubling from 100 ms (±20 %): each delay longer than the one before.
      for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! > delays[i - 1]!, `backoff did not grow: ${delays.join(', ')} ms`);
      assert.equal(d.stats().reconnects, 4);
    } finally {
      await relay.close();
    }
  });
});
