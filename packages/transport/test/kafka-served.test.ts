// "No responders" on Kafka once a lane's readers are gone, though its topic stays (kafka-served.ts).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, Consumer } from '@platformatic/kafka';
import { startKafka } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { dec, enc, openDriver } from './conformance/helpers.js';

/** What a request ends with: the reply's text, or the error's code. */
function outcome(d: Driver, subject: string, timeoutMs: number): Promise<string> {
  return d.request(subject, enc('{}'), { timeoutMs }).then(
    (m) => dec(m.data),
    (err: Error & { code?: string }) => err.code ?? err.message,
  );
}

void test('kafka: a lane whose readers all left gets "no responders" at once, though its topic stays; a lane read under a group of its own name is still served', async () => {
  const broker = await startKafka();
  const drivers: Driver[] = [];
  const open = () => openDriver(drivers, 'kafka', { urls: [broker.url] });
  try {
    const [server, client] = [await open(), await open()];
    const lane = server.serve({ subject: 'gone.node.n1', competing: false }, () => enc('here'));
    const pool = server.serve({ subject: 'gone.api', competing: true, group: 'my-pool' }, () => enc('pool'));
    await server.flush();
    assert.equal(await outcome(client, 'gone.node.n1', 30_000), 'here');
    assert.equal(await outcome(client, 'gone.api', 30_000), 'pool');

    await lane.unsubscribe();
    // A client asking now learns it at once (before: the topic existed, so it waited 30 s).
    const later = await open();
    const started = performance.now();
    assert.equal(await outcome(later, 'gone.node.n1', 30_000), TransportErrorCode.NO_RESPONDERS);
    assert.ok(performance.now() - started < 15_000);
    // One whose listing of the groups said "served" less than a second ago may send one more
    // request into the topic (it times out) before the listing taken behind it says otherwise.
    let answer = await outcome(client, 'gone.node.n1', 2000);
    for (let tries = 1; answer === TransportErrorCode.TIMEOUT && tries < 5; tries++) answer = await outcome(client, 'gone.node.n1', 2000);
    assert.equal(answer, TransportErrorCode.NO_RESPONDERS);
    // The topic is still there: the groups made the difference.
    const admin = new Admin({ clientId: 'probe', bootstrapBrokers: [broker.url.replace(/^kafka:\/\//, '')] });
    try {
      const meta = await admin.metadata({ topics: ['gone.node.n1'] });
      assert.ok(meta.topics.has('gone.node.n1'));
    } finally {
      await admin.close();
    }
    assert.equal(await outcome(later, 'gone.api', 30_000), 'pool', 'a group named by its user is not mistaken for no reader');
    await pool.unsubscribe();
  } finally {
    for (const d of drivers) await d.close();
    await broker.stop();
  }
});

void test('kafka: requests to a competing lane keep being answered while a second server joins its group (no "no responders" during the rebalance)', async () => {
  const broker = await startKafka();
  const a = await createDriver('kafka', { urls: [broker.url] });
  const b = await createDriver('kafka', { urls: [broker.url] });
  const client = await createDriver('kafka', { urls: [broker.url] });
  const fresh = await createDriver('kafka', { urls: [broker.url] });
  try {
    for (const d of [a, b, client, fresh]) await d.connect();
    a.serve({ subject: 'join.api', competing: true }, () => enc('a'));
    await a.flush();
    assert.equal(await outcome(client, 'join.api', 30_000), 'a');
    b.serve({ subject: 'join.api', competing: true }, () => enc('b'));
    const joined = b.flush();
    // `fresh` has no listing of the groups yet: it takes one while the group rebalances.
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(i % 2 === 0 ? client : fresh, 'join.api', 60_000)));
    await joined;
    assert.deepEqual(
      outcomes.filter((o) => o !== 'a' && o !== 'b'),
      [],
    );
  } finally {
    for (const d of [a, b, client, fresh]) await d.close();
    await broker.stop();
  }
});

void test('kafka: another application\'s group reading a lane topic (audit.<topic>) is no server: the lane whose own group emptied gets "no responders" at once', async () => {
  const broker = await startKafka();
  const server = await createDriver('kafka', { urls: [broker.url] });
  const bootstrapBrokers = [broker.url.replace(/^kafka:\/\//, '')];
  const audit = new Consumer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'audit', bootstrapBrokers, groupId: 'audit.aud.api' });
  const drivers: Driver[] = [server];
  try {
    await server.connect();
    const lane = server.serve({ subject: 'aud.api', competing: true }, () => enc('served'));
    await server.flush();
    // A platform consumer of the lane's topic, a member of its group for the whole test.
    const stream = await audit.consume({ topics: ['aud.api'], mode: 'latest', autocommit: false });
    stream.on('error', () => undefined);
    const client = await createDriver('kafka', { urls: [broker.url] });
    drivers.push(client);
    await client.connect();
    assert.equal(await outcome(client, 'aud.api', 30_000), 'served');
    await lane.unsubscribe();
    // A new client lists the groups afresh: aud.api is empty, audit.aud.api has a member.
    const later = await createDriver('kafka', { urls: [broker.url] });
    drivers.push(later);
    await later.connect();
    assert.equal(await outcome(later, 'aud.api', 5000), TransportErrorCode.NO_RESPONDERS);
    await stream.close();
  } finally {
    await audit.close(true);
    for (const d of drivers) await d.close();
    await broker.stop();
  }
});
