// A NATS durable consumer whose caller holds messages longer than JetStream's ack wait (a slow
// billing loop with a full buffer): the server must not send them again, and a copy it does send
// again while the first is held must not be handed out twice. The consumer is made here first
// (an ack wait short enough for a test, a deliver subject known to the test) and attached to by
// the driver; a second connection watches the deliver and ack subjects.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect as natsConnect, nanos, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver, type DurableMessage } from '@fsbus/transport';

const DELIVER = 'held.deliver';
const MAX_IN_FLIGHT = 10;

interface Setup {
  server: NatsServerHandle;
  driver: Driver;
  watcher: NatsConnection;
  stop(): Promise<void>;
}

async function setup(ackWaitMs: number, messages: number): Promise<Setup> {
  const server = await startNatsServer({ jetstream: true });
  const driver = await createDriver('nats', { urls: [server.url] });
  await driver.connect();
  await driver.ensureStream({ name: 'HELD', subjects: ['held.x'], storage: 'memory' });
  for (let i = 1; i <= messages; i++) driver.publish('held.x', new TextEncoder().encode(String(i)));
  await driver.flush();
  const watcher = await natsConnect({ servers: server.url, name: 'watcher' });
  const jsm = await jetstreamManager(watcher);
  await jsm.consumers.add('HELD', {
    durable_name: 'billing',
    deliver_subject: DELIVER,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: MAX_IN_FLIGHT,
    deliver_policy: DeliverPolicy.All,
    filter_subject: 'held.x',
  });
  return {
    server,
    driver,
    watcher,
    async stop() {
      await watcher.close();
      await driver.close();
      await server.stop();
    },
  };
}

/** Resolves once `check` holds after a driver round trip (bounded: the bound fails the test). */
async function until(driver: Driver, check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await driver.flush();
  assert.ok(check(), what);
}

/** Delivery count of a JetStream delivery, from its ack subject (`$JS.ACK.<stream>.<consumer>.<delivered>.…`). */
const deliveryCount = (m: Msg): number => Number(m.reply?.split('.')[4]);

const OPTIONS = { stream: 'HELD', durable: 'billing', filter: 'held.x', maxInFlight: MAX_IN_FLIGHT };

void test('nats durable: a message sent again while the first copy is held is not handed out twice; its ack still counts', async (t) => {
  const s = await setup(30_000, 3);
  t.after(() => s.stop());
  const held: DurableMessage[] = [];
  const sub = await s.driver.consumeDurable(OPTIONS, (m) => held.push(m));
  t.after(() => sub.unsubscribe());
  // The watcher sees the deliveries too (a plain subscription on the deliver subject).
  const replies: Msg[] = [];
  const watch = s.watcher.subscribe(DELIVER, {
    callback: (_err, m) => {
      replies.push(m);
    },
  });
  t.after(() => watch.unsubscribe());
  await s.watcher.flush();
  await until(s.driver, () => held.length === 3, 'the three messages are handed out');
  // What the server does when the ack wait runs out (or the connection came back): send it again.
  // A NAK from the watcher makes it do so at once; the copy reaches the driver's connection
  // before the PONG of its next flush.
  const jsm = await jetstreamManager(s.watcher);
  const info = await jsm.consumers.info('HELD', 'billing');
  assert.equal(info.num_ack_pending, 3);
  s.watcher.publish(`$JS.ACK.HELD.billing.1.1.1.0.2`, new TextEncoder().encode('-NAK'));
  await s.watcher.flush();
  await until(s.driver, () => replies.some((m) => deliveryCount(m) === 2), 'the server sent message 1 again');
  await s.driver.flush();
  assert.deepEqual(
    held.map((m) => m.sequence),
    [1, 2, 3],
    'message 1 was handed out a second time while its first copy was held',
  );
  for (const m of held) m.ack();
  await s.driver.flush();
  const after = await jsm.consumers.info('HELD', 'billing');
  assert.equal(after.num_ack_pending, 0, 'the acks (message 1: of its newer copy) were taken');
  assert.equal(after.ack_floor.stream_seq, 3);
});

void test('nats durable: held messages are kept from redelivery, however long past the ack wait', async (t) => {
  // Long enough that a stalled event loop (a loaded CI machine) does not outlast the half ack wait
  // between two +WPI (a redelivery then would be the stall's doing); the test still runs past one
  // ack wait: three rounds, half an ack wait apart, whatever its length.
  const ackWaitMs = 4000;
  const s = await setup(ackWaitMs, 2);
  t.after(() => s.stop());
  const held: DurableMessage[] = [];
  const sub = await s.driver.consumeDurable(OPTIONS, (m) => held.push(m));
  t.after(() => sub.unsubscribe());
  await until(s.driver, () => held.length === 2, 'the two messages are handed out');
  // The driver's "still working" (+WPI) on each held message, counted per stream sequence; a
  // second delivery of either fails the test at once.
  const working = new Map<number, number>();
  let resolveRounds: () => void = () => undefined;
  let rejectRounds: (err: Error) => void = () => undefined;
  const rounds = new Promise<void>((resolve, reject) => {
    resolveRounds = resolve;
    rejectRounds = reject;
  });
  const acks = s.watcher.subscribe('$JS.ACK.HELD.billing.>', {
    callback: (_err, m) => {
      if (new TextDecoder().decode(m.data) !== '+WPI') return;
      const seq = Number(m.subject.split('.')[5]);
      working.set(seq, (working.get(seq) ?? 0) + 1);
      // Three rounds, half an ack wait apart: well past one ack wait since the deliveries.
      if ([1, 2].every((q) => (working.get(q) ?? 0) >= 3)) resolveRounds();
    },
  });
  const deliveries = s.watcher.subscribe(DELIVER, {
    callback: (_err, m) => {
      if (deliveryCount(m) > 1) rejectRounds(new Error(`the server sent message ${m.reply?.split('.')[5]} again after its ack wait`));
    },
  });
  t.after(() => {
    acks.unsubscribe();
    deliveries.unsubscribe();
  });
  await s.watcher.flush();
  await rounds;
  const info = await (await jetstreamManager(s.watcher)).consumers.info('HELD', 'billing');
  assert.equal(info.num_redelivered, 0);
  assert.equal(info.num_ack_pending, 2);
  assert.deepEqual(held.map((m) => m.sequence), [1, 2]);
});
