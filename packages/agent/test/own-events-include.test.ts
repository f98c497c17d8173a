// The agent's own events (fsbus::agent_start, events_resumed, events_dropped, agent_stop) are the
// bus's loss and lifecycle signals, not FreeSWITCH's events: an events.include list built from
// mod_amqp's event_filter (docs/migrating-from-mod_amqp.md, step 1) names none of them, and turned
// them all off — a broker outage past buffer_messages logged "telling subscribers" and told nobody,
// a restart and a lost Event Socket link said nothing. They pass any include list now; only
// events.exclude turns them off (ALL, CUSTOM, CUSTOM::fsbus::<name>), and then the loss line says
// so and the start warns. Real nats-server (JetStream), simulator and agent; waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { EslEvent, type EslClient } from '@fsbus/esl';
import type { DurableMessage } from '@fsbus/transport';
import { freePort, startNatsServer } from '@fsbus/testkit';
import { spawnAgent } from './support/agent-process.js';
import { counter, dec, driverConnected, eslTo, logLine, startCluster, until, type Cluster, type ClusterOptions, type Node } from './support/cluster.js';

/** mod_amqp's event_filter of the migration guide's example, as events.include. */
const MOD_AMQP_INCLUDE = ['CHANNEL_CREATE', 'CHANNEL_DESTROY', 'HEARTBEAT', 'DTMF', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_ANSWER', 'CUSTOM::sofia::register'];
const STREAM = 'FREESWITCH_EVENTS';
const TELLING_SUBSCRIBERS_LOG = 'events were dropped: telling subscribers (fsbus::events_dropped)';
const NOT_TOLD_LOG = 'events were dropped: not told to subscribers, fsbus::events_dropped is excluded by events.exclude';
const OWN_EVENTS_EXCLUDED_LOG_START = "events.exclude turns off the agent's own loss and lifecycle events";

const options = (exclude: string[] = []): ClusterOptions => ({
  jetstream: true,
  config: { broker: { buffer_messages: 4 }, events: { include: MOD_AMQP_INCLUDE, exclude, stream: { enabled: true, max_age_ms: 3_600_000 } } },
});

const subclass = (p: EventPayload): string | undefined => p.headers['Event-Subclass'];
const own = (got: EventPayload[]): string[] => got.map(subclass).filter((s): s is string => s?.startsWith('fsbus::') === true);

/** The stream's payloads, read from the start until `done` holds for them. */
async function readStream(cluster: Cluster, done: (got: EventPayload[]) => boolean): Promise<EventPayload[]> {
  await driverConnected(cluster.client);
  const got: EventPayload[] = [];
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const sub = await cluster.client.consumeDurable({ stream: STREAM, from: 'all' }, (m: DurableMessage) => {
    got.push(JSON.parse(dec(m.data)) as EventPayload);
    m.ack();
    if (done(got)) finish();
  });
  const timer = setTimeout(finish, 15_000);
  await finished;
  clearTimeout(timer);
  await sub.unsubscribe();
  return got;
}

/** An Event Socket link lost and back (events_resumed), then an outage past buffer_messages (events_dropped). */
async function loseEvents(cluster: Cluster, node: Node, esl: EslClient): Promise<EslClient> {
  await esl.close();
  node.sim.control.dropConnections();
  await until(node.agent, () => !node.agent.ready, 'the Event Socket drop seen');
  await until(node.agent, () => node.agent.ready, 'the Event Socket back');
  const again = await eslTo(node.sim);
  // What was published so far is confirmed: the outage's drops are the buffer's alone.
  await node.agent.driver!.flush();
  await cluster.nats.halt();
  await until(node.agent, () => node.agent.brokerStatus !== 'connected', 'the broker gone');
  const before = counter(node, 'events_published') + counter(node, 'events_failed');
  for (let i = 0; i < 10; i++) await again.sendevent(EslEvent.create('CHANNEL_HANGUP_COMPLETE'));
  await until(node.agent, () => counter(node, 'events_published') + counter(node, 'events_failed') >= before + 10, '10 hangups through the agent');
  assert.equal(counter(node, 'events_dropped'), 6);
  await cluster.nats.start();
  return again;
}

void test("an include list from mod_amqp's event_filter: agent_start, events_resumed, events_dropped and agent_stop are all published", async () => {
  const cluster = await startCluster(options());
  const node = cluster.nodes[0]!;
  let esl = await eslTo(node.sim);
  try {
    esl = await loseEvents(cluster, node, esl);
    await logLine(node, TELLING_SUBSCRIBERS_LOG);
    await node.agent.stop();
    const got = await readStream(cluster, (g) => own(g).includes('fsbus::agent_stop'));
    assert.deepEqual(own(got), ['fsbus::agent_start', 'fsbus::events_resumed', 'fsbus::events_dropped', 'fsbus::agent_stop']);
    const told = got.find((p) => subclass(p) === 'fsbus::events_dropped')!;
    assert.equal(told.headers['FSBus-Events-Dropped'], '6');
    assert.equal(told.headers['FSBus-Hangups-Dropped'], '6');
    // FreeSWITCH's events are still filtered by the list: only the hangups the buffer kept.
    assert.deepEqual([...new Set(got.filter((p) => subclass(p) === undefined).map((p) => p.event_name))], ['CHANNEL_HANGUP_COMPLETE']);
  } finally {
    await esl.close();
    await cluster.stop();
  }
});

void test('events.exclude naming events_dropped turns it off: the loss line says it is excluded, not "telling subscribers"', async () => {
  const cluster = await startCluster(options(['CUSTOM::fsbus::events_dropped']));
  const node = cluster.nodes[0]!;
  let esl = await eslTo(node.sim);
  try {
    esl = await loseEvents(cluster, node, esl);
    const line = await logLine(node, NOT_TOLD_LOG);
    assert.equal(line['level'], 40);
    assert.equal(line['events_dropped'], 6);
    assert.deepEqual(node.logs.filter((l) => l['msg'] === TELLING_SUBSCRIBERS_LOG), []);
    await node.agent.stop();
    const got = await readStream(cluster, (g) => own(g).includes('fsbus::agent_stop'));
    assert.deepEqual(own(got), ['fsbus::agent_start', 'fsbus::events_resumed', 'fsbus::agent_stop']);
  } finally {
    await esl.close();
    await cluster.stop();
  }
});

void test('events.exclude CUSTOM (or ALL) turns them all off', async () => {
  for (const exclude of [['CUSTOM'], ['ALL']]) {
    const cluster = await startCluster({ jetstream: true, config: { events: { include: ['CUSTOM::sofia::register'], exclude, stream: { enabled: true } } } });
    const node = cluster.nodes[0]!;
    try {
      // A marker of the test's own is the last message: nothing of the agent's came before it.
      await node.agent.stop();
      cluster.client.publish('freeswitch.events.test.marker', new TextEncoder().encode('{"headers":{}}'));
      const got = await readStream(cluster, (g) => g.length >= 1);
      assert.deepEqual(own(got), [], `exclude ${exclude.join(',')}`);
    } finally {
      await cluster.stop();
    }
  }
});

void test("the start warns once when events.exclude turns off the agent's own events; not for an include list", async () => {
  const nats = await startNatsServer();
  try {
    const esl = String(await freePort());
    const run = async (env: Record<string, string>) => {
      const agent = spawnAgent({ FSBUS_BROKER_URL: nats.url, FSBUS_NODE_ID: 'own-events', FSBUS_ESL_PORT: esl, FSBUS_METRICS: 'false', ...env });
      try {
        await agent.line((l) => l['msg'] === 'FreeSWITCH not reachable, retrying', "'FreeSWITCH not reachable'");
        return agent.logs.filter((l) => String(l['msg']).startsWith(OWN_EVENTS_EXCLUDED_LOG_START));
      } finally {
        agent.kill();
        await agent.exited;
      }
    };
    const warned = await run({ FSBUS_EVENTS_INCLUDE: 'CHANNEL_CREATE', FSBUS_EVENTS_EXCLUDE: 'CUSTOM::fsbus::events_dropped,CUSTOM::fsbus::agent_start' });
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.equal(warned[0]!['level'], 40);
    assert.deepEqual(warned[0]!['excluded'], ['fsbus::agent_start', 'fsbus::events_dropped']);
    assert.equal((await run({ FSBUS_EVENTS_EXCLUDE: 'CUSTOM' }))[0]?.['excluded']?.toString(), 'fsbus::agent_start,fsbus::agent_stop,fsbus::events_dropped,fsbus::events_resumed');
    assert.deepEqual(await run({ FSBUS_EVENTS_INCLUDE: MOD_AMQP_INCLUDE.join(','), FSBUS_EVENTS_EXCLUDE: 'CHANNEL_CREATE,CUSTOM::sofia::register' }), []);
  } finally {
    await nats.stop();
  }
});
