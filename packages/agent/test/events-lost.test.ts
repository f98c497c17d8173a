// Events the agent loses are never lost in silence: a full outgoing buffer during a broker outage
// is logged and, once the broker is back, told to subscribers (CUSTOM fsbus::events_dropped); a
// stop with the broker away waits for it within the shutdown budget, and what it still has to
// discard is logged with the hangups among it; a stream the broker lost (a restart on an empty
// store) is created again before the buffered events go out, with a warn line.
// Real nats-server (JetStream), simulator and agent; everything is waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { rm } from 'node:fs/promises';
import type { EventPayload } from '@fsbus/contract';
import { EslEvent, type EslClient } from '@fsbus/esl';
import type { NatsServerHandle } from '@fsbus/testkit';
import type { DurableMessage } from '@fsbus/transport';
import { counter, dec, driverConnected, emitCustom, eslTo, logLine, startCluster, until, type Cluster, type ClusterOptions, type Node } from './support/cluster.js';

type Log = Record<string, unknown>;
const FILL = 'fsbus::test_fill';
const STREAM = 'FREESWITCH_EVENTS';
// The log lines as docs/agent.md gives them.
const EVENTS_DROPPED_LOG = 'outgoing buffer full: oldest events dropped';
const STOP_WAITS_FOR_BROKER_LOG = 'stopping: waiting for the broker to take the buffered events';
const EVENTS_DISCARDED_AT_STOP_LOG = 'stopped with the broker away: buffered events discarded';
const STREAM_CREATED_AGAIN_LOG = 'event stream was gone after the broker reconnect: created again (the events it held are lost)';
const streamed = (extra: ClusterOptions['config'] = {}): ClusterOptions => ({
  jetstream: true,
  config: {
    ...extra,
    events: { include: [`CUSTOM::${FILL}`, 'CHANNEL_HANGUP_COMPLETE', 'CUSTOM::fsbus::events_dropped'], stream: { enabled: true, max_age_ms: 3_600_000 } },
  },
});

async function withCluster(options: ClusterOptions, run: (cluster: Cluster, node: Node, esl: EslClient) => Promise<void>): Promise<void> {
  const cluster = await startCluster(options);
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  try {
    await run(cluster, node, esl);
  } finally {
    await esl.close();
    await cluster.stop();
  }
}

const lines = (node: Node, msg: string): Log[] => node.logs.filter((l) => l['msg'] === msg);


/** Halts the broker and waits for the agent to see it gone. */
async function brokerDown(cluster: Cluster, node: Node): Promise<void> {
  // Its agent_start (which passes any include list) confirmed: unconfirmed when the connection
  // goes, NATS would count it as dropped (possibly delivered).
  await node.agent.driver!.flush();
  await cluster.nats.halt();
  await until(node.agent, () => node.agent.brokerStatus !== 'connected', 'the agent to see the broker gone');
}

/** `count` FreeSWITCH events through the agent (buffered while the broker is away), waited for. */
async function emitThrough(node: Node, esl: EslClient, make: () => Promise<void>, count: number): Promise<void> {
  const before = counter(node, 'events_published') + counter(node, 'events_failed');
  await make();
  await until(node.agent, () => counter(node, 'events_published') + counter(node, 'events_failed') >= before + count, `${count} events through the agent`);
}

async function hangups(esl: EslClient, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await esl.sendevent(EslEvent.create('CHANNEL_HANGUP_COMPLETE'));
}

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

const fills = (got: EventPayload[]) => got.filter((p) => p.headers['Event-Subclass'] === FILL).map((p) => Number(p.headers['Seq']));

void test('a full buffer during an outage: an error line with the limits, then one fsbus::events_dropped with the count and time range', async () => {
  await withCluster(streamed({ broker: { buffer_messages: 4 } }), async (cluster, node, esl) => {
    await brokerDown(cluster, node);
    await emitThrough(node, esl, () => emitCustom(esl, FILL, 10), 10);
    assert.equal(counter(node, 'events_dropped'), 6);
    const warn = lines(node, EVENTS_DROPPED_LOG)[0];
    assert.ok(warn !== undefined, 'a line about the drops');
    assert.equal(warn['level'], 50);
    assert.equal(warn['buffer_messages'], 4);
    assert.equal(warn['buffer_bytes'], 8 * 1024 * 1024);
    assert.ok(Number(warn['events_dropped']) >= 1, JSON.stringify(warn));
    await cluster.nats.start();
    const got = await readStream(cluster, (g) => g.some((p) => p.headers['Event-Subclass'] === 'fsbus::events_dropped'));
    // The buffer kept the newest four; the drop is told after them.
    assert.deepEqual(fills(got), [6, 7, 8, 9]);
    const told = got.filter((p) => p.headers['Event-Subclass'] === 'fsbus::events_dropped');
    assert.equal(told.length, 1, JSON.stringify(got.map((p) => p.headers['Event-Subclass'])));
    const h = told[0]!.headers;
    assert.equal(h['FSBus-Events-Dropped'], '6');
    const since = Number(h['FSBus-Events-Dropped-Since']);
    const until = Number(h['FSBus-Events-Dropped-Until']);
    const kept = got.filter((p) => p.headers['Event-Subclass'] === FILL).map((p) => p.timestamp);
    assert.ok(since <= until, `since ${since} until ${until}`);
    assert.ok(since <= kept[0]! && until <= kept[3]!, `[${since}, ${until}] against the kept ${kept.join(', ')}`);
    assert.equal(got.indexOf(told[0]!), got.length - 1, 'told after what the buffer kept');
    assert.deepEqual(lines(node, STREAM_CREATED_AGAIN_LOG), [], 'the stream survived the restart: nothing to create');
  });
});

void test('a stop with the broker away that does not come back: the discarded events (and hangups) are logged and counted', async () => {
  await withCluster({ config: { shutdown_timeout_ms: 200, events: { include: [`CUSTOM::${FILL}`, 'CHANNEL_HANGUP_COMPLETE'] } } }, async (cluster, node, esl) => {
    await brokerDown(cluster, node);
    await emitThrough(node, esl, () => emitCustom(esl, FILL, 3), 3);
    await emitThrough(node, esl, () => hangups(esl, 2), 2);
    await node.agent.stop();
    const waited = lines(node, STOP_WAITS_FOR_BROKER_LOG);
    assert.equal(waited.length, 1, 'the wait for the broker is said');
    assert.equal(waited[0]!['buffered'], 5);
    const said = lines(node, EVENTS_DISCARDED_AT_STOP_LOG);
    assert.equal(said.length, 1, JSON.stringify(node.logs.filter((l) => Number(l['level']) >= 40)));
    assert.equal(said[0]!['level'], 50);
    assert.equal(said[0]!['events_discarded'], 5);
    assert.equal(said[0]!['hangups_discarded'], 2);
    assert.equal(counter(node, 'events_dropped'), 5);
  });
});

void test('a stop with the broker away waits for it: the buffered events reach the stream once it is back', async () => {
  await withCluster(streamed({ shutdown_timeout_ms: 60_000 }), async (cluster, node, esl) => {
    await brokerDown(cluster, node);
    await emitThrough(node, esl, () => emitCustom(esl, FILL, 3), 3);
    const stopped = node.agent.stop();
    const waiting = await Promise.race([
      logLine(node, STOP_WAITS_FOR_BROKER_LOG),
      stopped.then(() => undefined),
    ]);
    assert.ok(waiting !== undefined, 'the stop ended without waiting for the broker');
    await cluster.nats.start();
    await stopped;
    assert.deepEqual(lines(node, EVENTS_DISCARDED_AT_STOP_LOG), []);
    assert.equal(counter(node, 'events_dropped'), 0);
    const got = await readStream(cluster, (g) => fills(g).length >= 3);
    assert.deepEqual(fills(got), [0, 1, 2]);
  });
});

void test('a broker back on an empty store: the stream is created again before the buffered events go out, with a warn line', async () => {
  await withCluster(streamed(), async (cluster, node, esl) => {
    await brokerDown(cluster, node);
    const storeDir = (cluster.nats as unknown as NatsServerHandle).storeDir!;
    await rm(storeDir, { recursive: true, force: true });
    await emitThrough(node, esl, () => emitCustom(esl, FILL, 3), 3);
    await cluster.nats.start();
    await until(node.agent, () => node.agent.brokerStatus === 'connected', 'the agent back on the broker');
    const warned = lines(node, STREAM_CREATED_AGAIN_LOG);
    assert.equal(warned.length, 1, JSON.stringify(node.logs.filter((l) => Number(l['level']) >= 40)));
    assert.equal(warned[0]!['level'], 40);
    assert.equal(warned[0]!['stream'], STREAM);
    const got = await readStream(cluster, (g) => fills(g).length >= 3);
    assert.deepEqual(fills(got), [0, 1, 2]);
  });
});
