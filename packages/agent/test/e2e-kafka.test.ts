// The agent end to end over Kafka: two simulated FreeSWITCH nodes, two agents, one Kafka broker
// (KRaft, from the test kit), and a bus client using the kafka driver.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { loadConfig } from '@fsbus/agent';
import { BusErrorCode, decodeReply } from '@fsbus/contract';
import { startKafka } from '@fsbus/testkit';
import { TransportError, TransportErrorCode, type InboundMessage } from '@fsbus/transport';
import { emitCustom, enc, eslTo, startCluster, type Cluster } from './support/cluster.js';
import { agentE2eCases } from './support/agent-e2e-cases.js';

void describe('agent over kafka', () => {
  let cluster: Cluster;
  // Bounded, so a broker or group join that never answers fails this hook by name (flush() gives up at 60 s).
  before(
    async () => {
      cluster = await startCluster({ nodes: 2, driver: 'kafka', startBroker: () => startKafka() });
    },
    { timeout: 150_000 },
  );
  // Bounded too: a stop that hangs fails this hook by name (it once held the file to its 300 s limit).
  after(() => cluster.stop(), { timeout: 120_000 });

  agentE2eCases(() => cluster);

  void test('kafka: events of one call keep their order (record key = channel uuid)', async () => {
    const got: InboundMessage[] = [];
    let wake: (() => void) | undefined;
    const sub = cluster.client.subscribe('freeswitch.events.custom.>', (m) => {
      got.push(m);
      wake?.();
    });
    await cluster.client.flush();
    const esl = await eslTo(cluster.nodes[1]!.sim);
    try {
      await emitCustom(esl, 'fsbus::order', 25);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${got.length} of 25 events`)), 15_000);
        wake = () => {
          if (got.length < 25) return;
          clearTimeout(timer);
          resolve();
        };
        wake();
      });
    } finally {
      await esl.close();
      await sub.unsubscribe();
    }
    const events = got.map((m) => JSON.parse(new TextDecoder().decode(m.data)) as { node_id: string; headers: Record<string, string> });
    assert.deepEqual(events.map((e) => e.headers['Seq']), Array.from({ length: 25 }, (_, i) => String(i)));
    assert.ok(events.every((e) => e.node_id === 'node-2'));
    assert.ok(got.every((m) => m.subject === 'freeswitch.events.custom.fsbus.order'));
  });

  void test('kafka: a request on the shared lane naming a node nobody serves is answered at once (its lane topic does not exist)', async () => {
    // The caller would wait 60 s: only the agent's answer ends these in the test's time.
    for (let i = 0; i < 4; i++) {
      const r = await cluster.request('freeswitch.api', `{"command":"status","node_id":"node-9","correlation_id":"u${i}"}`, 60_000);
      assert.equal(r.code, BusErrorCode.NODE_UNAVAILABLE, r.message);
      assert.equal(r.message, "No agent serves node 'node-9' (freeswitch.node.node-9)");
      assert.equal(r.correlation_id, `u${i}`);
    }
    // A node that is there is still handed its requests (same record, same reply address).
    assert.equal((await cluster.request('freeswitch.api', '{"command":"agent.status","node_id":"node-2"}', 30_000)).node_id, 'node-2');
  });

  void test('kafka: agent.status names the driver', async () => {
    const r = decodeReply((await cluster.client.request('freeswitch.node.node-1', enc('{"command":"agent.status"}'), { timeoutMs: 10_000 })).data);
    assert.equal((r.data as { driver: string }).driver, 'kafka');
  });

  void test("kafka: forward_to below the broadcast lane is refused as one of the agent's own subjects (its topic is the broadcast lane's)", async () => {
    const r = await cluster.request('freeswitch.node.node-1', '{"command":"status","forward_to":"freeswitch.broadcast.x"}', 30_000);
    assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, r.message);
    assert.equal(r.message, "forward_to may not target the agent's own subjects");
    // One partition read in order: once both agents answered this, a copy produced before the reply was read.
    const replies = await cluster.client.gather('freeswitch.broadcast', enc('{"command":"agent.status"}'), { timeoutMs: 30_000, expect: 2 });
    assert.equal(replies.length, 2);
    const ranAsRequest = cluster.nodes.flatMap((n) => n.logs).filter((l) => l['audit'] === 'command' && l['subject'] === 'freeswitch.broadcast.x');
    assert.deepEqual(ranAsRequest, []);
  });

  void test('kafka: a forward_to Kafka cannot carry (255 characters, `:` or `$` in a token) is refused INVALID_ARGUMENT, naming the rule, and the command is not run', async () => {
    const created: string[] = [];
    const off = cluster.nodes[0]!.sim.core.onEvent((e) => {
      if (e.name === 'CHANNEL_CREATE') created.push(e.uuid ?? '');
    });
    try {
      for (const forward of ['observers.'.padEnd(255, 'x'), 'observers.a:b', 'observers.$x']) {
        const body = { command: 'originate', endpoint: 'loopback/7001', extension: '7001', forward_to: forward, correlation_id: 'k-1' };
        const r = await cluster.request('freeswitch.node.node-1', JSON.stringify(body), 30_000);
        assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, `${forward.slice(0, 20)}…: ${r.message}`);
        assert.equal(r.message, "forward_to cannot be carried by kafka: a subject is at most 249 characters, dot-separated tokens of [A-Za-z0-9_-] (Kafka's topic-name rule)");
        assert.equal(r.correlation_id, 'k-1');
      }
      // An originate run replies only once its channel exists: none was made.
      assert.deepEqual(created, []);
    } finally {
      off();
    }
  });

  // Last: it stops node-2's agent.
  void test('kafka: a request naming a node whose agent stopped is answered NODE_UNAVAILABLE, though its lane topic stays', async () => {
    assert.equal((await cluster.request('freeswitch.api', '{"command":"status","node_id":"node-2"}', 30_000)).node_id, 'node-2');
    await cluster.nodes[1]!.agent.stop();
    // The agent handing it off may have listed node-2's lane group as served less than a second
    // ago: a request it hands off on that listing waits its timeout (3 s here), and the next is
    // answered from a listing taken since. Before, each one waited (the lane topic exists).
    const handedOff = await untilAnswered((i) => cluster.request('freeswitch.api', `{"command":"status","node_id":"node-2","correlation_id":"s${i}"}`, 3000));
    assert.equal(handedOff.code, BusErrorCode.NODE_UNAVAILABLE, handedOff.message);
    assert.equal(handedOff.message, "No agent serves node 'node-2' (freeswitch.node.node-2)");
    // Its direct lane says the same through the driver.
    const direct = await untilAnswered(() => cluster.client.request('freeswitch.node.node-2', enc('{"command":"status"}'), { timeoutMs: 3000 }));
    assert.equal((direct as { code?: string }).code, TransportErrorCode.NO_RESPONDERS);
  });
});

/** The first outcome of `attempt` (up to 5 tries) that is not the driver's timeout: a reply, or the error. */
async function untilAnswered<T>(attempt: (i: number) => Promise<T>): Promise<T | TransportError> {
  for (let i = 0; ; i++) {
    try {
      return await attempt(i);
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      if (err.code !== TransportErrorCode.TIMEOUT || i === 4) return err;
    }
  }
}

void test('config: driver kafka and zmq from the file or the environment', () => {
  const fromEnv = loadConfig({ env: { FSBUS_DRIVER: 'kafka', FSBUS_BROKER_URL: 'kafka://k1:9092,k2:9092', FSBUS_NODE_ID: 'n1' } });
  assert.equal(fromEnv.driver, 'kafka');
  assert.deepEqual(fromEnv.broker.urls, ['kafka://k1:9092', 'k2:9092']);
  const fromFile = loadConfig({ values: { driver: 'zmq', node_id: 'n1', broker: { urls: 'zmq://0.0.0.0:5555?mode=mod_event_zmq' } }, env: {} });
  assert.equal(fromFile.driver, 'zmq');
  assert.deepEqual(fromFile.broker.urls, ['zmq://0.0.0.0:5555?mode=mod_event_zmq']);
});
