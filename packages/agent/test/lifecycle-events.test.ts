// An agent's own lifecycle events besides its goodbye: `fsbus::agent_start` once when it is first
// ready (a node (re)appeared: events before it may be missing), and `fsbus::events_resumed` each
// time its FreeSWITCH event subscription is back after a loss, saying since when events may be
// missing. Both obey events.include/exclude. Real nats-server, simulator and agent; "exactly one"
// and "none" are known by a marker published after the agent flushed, on the same subscription
// (the server delivers in order), never by waiting.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AGENT_VERSION } from '@fsbus/agent';
import { nowMicros, type EventPayload } from '@fsbus/contract';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, type InboundMessage } from '@fsbus/transport';
import { dec, enc, startCluster, until, type Cluster, type ClusterOptions } from './support/cluster.js';

const AGENT_START = 'freeswitch.events.custom.fsbus.agent_start';
const EVENTS_RESUMED = 'freeswitch.events.custom.fsbus.events_resumed';
const MARKER = 'freeswitch.events.custom.fsbus.test_marker';

/** What a subscriber to `custom.fsbus.>` got until `collect` is called (after the agent flushed). */
interface Watch {
  collect(): Promise<InboundMessage[]>;
}

function watchLifecycle(publish: (subject: string, data: Uint8Array) => void, subscribe: (onMessage: (m: InboundMessage) => void) => Promise<() => Promise<void>>): Promise<Watch> {
  const got: InboundMessage[] = [];
  let markerSeen: () => void = () => undefined;
  const marker = new Promise<void>((resolve) => (markerSeen = resolve));
  return subscribe((m) => {
    if (m.subject === MARKER) markerSeen();
    else got.push(m);
  }).then((off) => ({
    async collect() {
      publish(MARKER, enc('{}'));
      await marker;
      await off();
      return got;
    },
  }));
}

/** Starts one agent on a broker a subscriber to `custom.fsbus.>` listens on from before its start. */
async function startWatched(options: ClusterOptions): Promise<{ cluster: Cluster; sinceStart: Watch }> {
  const nats = await startNatsServer({ jetstream: false });
  const watcher = await createDriver('nats', { urls: [nats.url], name: 'lifecycle-watcher' });
  try {
    await watcher.connect();
    const sinceStart = await watchLifecycle(
      (s, d) => watcher.publish(s, d),
      async (onMessage) => {
        const sub = watcher.subscribe('freeswitch.events.custom.fsbus.>', onMessage);
        await watcher.flush();
        return async () => {
          await sub.unsubscribe();
          await watcher.close();
        };
      },
    );
    const cluster = await startCluster({ ...options, startBroker: () => Promise.resolve(nats) });
    return { cluster, sinceStart };
  } catch (err) {
    await watcher.close();
    await nats.stop();
    throw err;
  }
}

/** Everything published on `custom.fsbus.>` from now until `collect` (the agent flushed first). */
async function watchFromNow(cluster: Cluster): Promise<Watch> {
  const w = await watchLifecycle(
    (s, d) => cluster.client.publish(s, d),
    async (onMessage) => {
      const sub = cluster.client.subscribe('freeswitch.events.custom.fsbus.>', onMessage);
      await cluster.client.flush();
      return () => sub.unsubscribe();
    },
  );
  return {
    async collect() {
      // What the agent published has reached the server before the marker is sent.
      await cluster.nodes[0]!.agent.driver!.flush();
      return w.collect();
    },
  };
}

function payloadOf(m: InboundMessage): EventPayload {
  return JSON.parse(dec(m.data)) as EventPayload;
}

void test('an agent publishes exactly one agent_start when it is first ready, in the goodbye\'s envelope', async () => {
  const before = nowMicros();
  const { cluster, sinceStart } = await startWatched({});
  try {
    await cluster.nodes[0]!.agent.driver!.flush();
    const after = nowMicros();
    const got = await sinceStart.collect();
    assert.deepEqual(got.map((m) => m.subject), [AGENT_START]);
    const p = payloadOf(got[0]!);
    assert.deepEqual(Object.keys(p), ['event_name', 'timestamp', 'node_id', 'headers']);
    assert.equal(p.event_name, 'CUSTOM');
    assert.equal(p.node_id, 'node-1');
    assert.ok(Number.isSafeInteger(p.timestamp) && p.timestamp >= before && p.timestamp <= after, `timestamp ${p.timestamp} not in [${before}, ${after}]`);
    assert.deepEqual(p.headers, {
      'Event-Name': 'CUSTOM',
      'Event-Subclass': 'fsbus::agent_start',
      'Event-Date-Timestamp': String(p.timestamp),
      'FSBus-Node-ID': 'node-1',
      'FSBus-Version': AGENT_VERSION,
    });
  } finally {
    await cluster.stop();
  }
});

void test('events.exclude naming it (CUSTOM::fsbus::agent_start) means no agent_start', async () => {
  const { cluster, sinceStart } = await startWatched({ config: { events: { exclude: ['CUSTOM::fsbus::agent_start'] } } });
  try {
    await cluster.nodes[0]!.agent.driver!.flush();
    assert.deepEqual(await sinceStart.collect(), []);
  } finally {
    await cluster.stop();
  }
});

void test('a lost FreeSWITCH event connection: one events_resumed once re-subscribed, saying since when events may be missing; no second agent_start', async () => {
  const cluster = await startCluster({});
  try {
    const node = cluster.nodes[0]!;
    const watch = await watchFromNow(cluster);
    const beforeLoss = nowMicros();
    node.sim.control.dropConnections();
    await until(node.agent, () => !node.agent.ready, 'the agent to see FreeSWITCH gone');
    await until(node.agent, () => node.agent.ready, 'the agent re-subscribed');
    const resubscribed = nowMicros();
    const got = await watch.collect();
    assert.deepEqual(got.map((m) => m.subject), [EVENTS_RESUMED]);
    const p = payloadOf(got[0]!);
    assert.equal(p.event_name, 'CUSTOM');
    assert.equal(p.node_id, 'node-1');
    assert.ok(p.timestamp <= resubscribed, `timestamp ${p.timestamp} after ${resubscribed}`);
    const lostSince = Number(p.headers['FSBus-Events-Lost-Since']);
    const downMs = Number(p.headers['FSBus-Down-Ms']);
    assert.ok(Number.isSafeInteger(lostSince) && lostSince >= beforeLoss && lostSince <= p.timestamp, `lost since ${lostSince} not in [${beforeLoss}, ${p.timestamp}]`);
    assert.ok(Number.isSafeInteger(downMs) && downMs >= 0 && downMs * 1000 <= p.timestamp - beforeLoss, `down ${downMs} ms`);
    assert.deepEqual(p.headers, {
      'Event-Name': 'CUSTOM',
      'Event-Subclass': 'fsbus::events_resumed',
      'Event-Date-Timestamp': String(p.timestamp),
      'FSBus-Node-ID': 'node-1',
      'FSBus-Version': AGENT_VERSION,
      'FSBus-Events-Lost-Since': String(lostSince),
      'FSBus-Down-Ms': String(downMs),
    });
  } finally {
    await cluster.stop();
  }
});

void test('events.exclude naming it (CUSTOM::fsbus::events_resumed) means no events_resumed', async () => {
  const cluster = await startCluster({ config: { events: { exclude: ['CUSTOM::fsbus::events_resumed'] } } });
  try {
    const node = cluster.nodes[0]!;
    const watch = await watchFromNow(cluster);
    node.sim.control.dropConnections();
    await until(node.agent, () => !node.agent.ready, 'the agent to see FreeSWITCH gone');
    await until(node.agent, () => node.agent.ready, 'the agent re-subscribed');
    assert.deepEqual(await watch.collect(), []);
  } finally {
    await cluster.stop();
  }
});
