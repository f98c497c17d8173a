// The agent end to end over ZeroMQ: two simulated FreeSWITCH nodes, two agents each binding its
// own ROUTER + PUB (brokerless, mod_event_zmq's model), and a client connected to both.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Subscriber } from 'zeromq';
import { BusErrorCode } from '@fsbus/contract';
import { freePort } from '@fsbus/testkit';
import { emitCustom, eslTo, startCluster, type Cluster } from './support/cluster.js';
import { agentE2eCases } from './support/agent-e2e-cases.js';

async function endpoint(query = ''): Promise<string> {
  return `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}${query}`;
}

void describe('agent over zmq', () => {
  let cluster: Cluster;
  before(async () => {
    const urls = [await endpoint(), await endpoint()];
    cluster = await startCluster({
      nodes: 2,
      driver: 'zmq',
      // No broker process: the agents bind their endpoints, the client connects to both.
      startBroker: () => Promise.resolve({ url: urls[0]!, halt: async () => {}, start: async () => {}, stop: async () => {} }),
      agentUrls: (i) => [urls[i]!],
      clientUrls: urls,
    });
  });
  after(() => cluster.stop());

  agentE2eCases(() => cluster);

  void test('zmq: a forward_to the driver cannot carry (`:` in a token) is refused INVALID_ARGUMENT, naming the rule, and the command is not run', async () => {
    const created: string[] = [];
    const off = cluster.nodes[0]!.sim.core.onEvent((e) => {
      if (e.name === 'CHANNEL_CREATE') created.push(e.uuid ?? '');
    });
    try {
      const body = { command: 'originate', endpoint: 'loopback/7001', extension: '7001', forward_to: 'observers.a:b', correlation_id: 'f-1' };
      const r = await cluster.request('freeswitch.node.node-1', JSON.stringify(body), 10_000);
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, r.message);
      assert.equal(r.message, 'forward_to cannot be carried by zmq: a subject is at most 249 characters, dot-separated tokens of [A-Za-z0-9_-]');
      assert.equal(r.correlation_id, 'f-1');
      // An originate run replies only once its channel exists: none was made.
      assert.deepEqual(created, []);
    } finally {
      off();
    }
  });
});

void test('agent over zmq in mod_event_zmq mode: a plain SUB gets the bare FreeSWITCH JSON event', async () => {
  const url = await endpoint('&mode=mod_event_zmq');
  const cluster = await startCluster({
    nodes: 1,
    driver: 'zmq',
    startBroker: () => Promise.resolve({ url, halt: async () => {}, start: async () => {}, stop: async () => {} }),
  });
  const sub = new Subscriber({ linger: 0 });
  try {
    sub.connect(`tcp://127.0.0.1:${new URL(url).searchParams.get('events')}`);
    sub.subscribe();
    // This mode echoes no `$fsbus.sub.*` markers (its PUB carries events only, docs/drivers/zmq.md):
    // the subscription is active once a probe event arrives.
    const esl = await eslTo(cluster.nodes[0]!.sim);
    try {
      let arrived = false;
      const first = sub.receive().then(() => (arrived = true));
      while (!arrived) await emitCustom(esl, 'zmq::probe', 1);
      await first;
      await emitCustom(esl, 'zmq::compat', 1);
    } finally {
      await esl.close();
    }
    for (;;) {
      const frames = await sub.receive();
      const event = JSON.parse(frames[0]!.toString()) as Record<string, string>;
      if (event['Event-Subclass'] !== 'zmq::compat') continue; // other FreeSWITCH events of the node
      assert.equal(frames.length, 1);
      assert.equal(event['Event-Name'], 'CUSTOM');
      assert.equal(event['Seq'], '0');
      break;
    }
  } finally {
    sub.close();
    await cluster.stop();
  }
});
