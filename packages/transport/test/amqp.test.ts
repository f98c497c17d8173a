import { after, afterEach, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'amqplib';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';
import { runConformance } from './conformance/suite.js';

runConformance({
  driver: 'amqp',
  startBroker: () => startRabbitMq(),
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

// One broker for the cases below (RabbitMQ takes seconds to start); each case's drivers are
// closed after it.
void describe('amqp: publishes, subscriptions and queue groups around the connection', () => {
  let broker: RabbitMqHandle;
  const opened: Driver[] = [];
  /** A driver of this case, connected unless `connect` is false. */
  const driver = async (name: string, options: { url?: string; connect?: boolean } = {}): Promise<Driver> => {
    const d = await createDriver('amqp', { urls: [options.url ?? broker.url], name });
    opened.push(d);
    if (options.connect !== false) await d.connect();
    return d;
  };
  before(async () => {
    broker = await startRabbitMq();
  });
  afterEach(async () => {
    for (const d of opened.splice(0)) await d.close();
  });
  after(async () => {
    await broker.stop();
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
});
