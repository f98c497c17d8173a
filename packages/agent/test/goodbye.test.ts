// A clean stop says goodbye: one CUSTOM `fsbus::agent_stop` event through the normal event path,
// so subscribers (the dashboard) learn that the node left on purpose instead of waiting for missed
// polls. It obeys events.include/exclude, and a broker that is down does not hold the stop.
// Real nats-server, simulator and agent; "none arrived" is known by a marker published after the
// stop on the same subscription (the server delivers in order), never by waiting.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AGENT_VERSION } from '@fsbus/agent';
import { nowMicros, type EventPayload } from '@fsbus/contract';
import type { InboundMessage } from '@fsbus/transport';
import { dec, enc, startCluster, until, type Cluster, type ClusterOptions } from './support/cluster.js';

const GOODBYE = 'freeswitch.events.custom.fsbus.agent_stop';
const MARKER = 'freeswitch.events.custom.fsbus.test_marker';

/** Stops node-1 and returns every goodbye its subscriber got, up to a marker sent after the stop. */
async function goodbyesOnStop(cluster: Cluster): Promise<InboundMessage[]> {
  const got: InboundMessage[] = [];
  let markerSeen: () => void = () => undefined;
  const marker = new Promise<void>((resolve) => (markerSeen = resolve));
  const sub = cluster.client.subscribe('freeswitch.events.custom.fsbus.>', (m) => {
    if (m.subject === MARKER) markerSeen();
    else got.push(m);
  });
  await cluster.client.flush();
  await cluster.nodes[0]!.agent.stop();
  cluster.client.publish(MARKER, enc('{}'));
  await marker;
  await sub.unsubscribe();
  return got;
}

async function withCluster<T>(options: ClusterOptions, run: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = await startCluster(options);
  try {
    return await run(cluster);
  } finally {
    await cluster.stop();
  }
}

void test('a clean stop publishes exactly one well-formed goodbye on <prefix>.events.custom.fsbus.agent_stop', async () => {
  await withCluster({}, async (cluster) => {
    const before = nowMicros();
    const instance = cluster.nodes[0]!.agent.status()['instance_id'];
    assert.equal(typeof instance, 'string');
    const got = await goodbyesOnStop(cluster);
    const after = nowMicros();
    assert.equal(got.length, 1, `goodbyes: ${got.map((m) => m.subject).join(', ')}`);
    const m = got[0]!;
    assert.equal(m.subject, GOODBYE);
    const p = JSON.parse(dec(m.data)) as EventPayload;
    assert.deepEqual(Object.keys(p), ['event_name', 'timestamp', 'node_id', 'headers']);
    assert.equal(p.event_name, 'CUSTOM');
    assert.equal(p.node_id, 'node-1');
    assert.ok(Number.isSafeInteger(p.timestamp) && p.timestamp >= before && p.timestamp <= after, `timestamp ${p.timestamp} not in [${before}, ${after}]`);
    assert.deepEqual(p.headers, {
      'Event-Name': 'CUSTOM',
      'Event-Subclass': 'fsbus::agent_stop',
      'Event-Date-Timestamp': String(p.timestamp),
      'FSBus-Node-ID': 'node-1',
      'FSBus-Version': AGENT_VERSION,
      // Which process left: another agent of this node id ends its conflict alarm on it.
      'FSBus-Instance-ID': instance,
    });
    assert.deepEqual(cluster.nodes[0]!.logs.filter((l) => String(l['msg']).startsWith('goodbye')), [], 'nothing to say about a goodbye that left');
  });
});

void test('events.exclude naming it (CUSTOM::fsbus::agent_stop) means no goodbye', async () => {
  await withCluster({ config: { events: { exclude: ['CUSTOM::fsbus::agent_stop'] } } }, async (cluster) => {
    assert.deepEqual(await goodbyesOnStop(cluster), []);
  });
});

void test('an include list that names only the goodbye publishes it', async () => {
  await withCluster({ config: { events: { include: ['CUSTOM::fsbus::agent_stop'] } } }, async (cluster) => {
    assert.deepEqual((await goodbyesOnStop(cluster)).map((m) => m.subject), [GOODBYE]);
  });
});

void test('a broker that is down at the stop: no goodbye, one log line, and the stop goes on', async () => {
  await withCluster({}, async (cluster) => {
    const node = cluster.nodes[0]!;
    await cluster.nats.halt();
    await until(node.agent, () => node.agent.brokerStatus !== 'connected', 'the agent to see the broker gone');
    await node.agent.stop();
    assert.equal(node.agent.brokerStatus, 'closed');
    const said = node.logs.filter((l) => String(l['msg']).startsWith('goodbye'));
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.equal(said[0]!['msg'], 'goodbye event not sent: the broker is not connected');
    assert.equal(said[0]!['broker'], 'reconnecting');
  });
});
