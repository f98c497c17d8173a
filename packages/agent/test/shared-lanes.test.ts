// The shared (any-node) lanes, `<prefix>.api` and `<prefix>.cmd.async.>`, are served only while the
// node's FreeSWITCH is ready: an agent whose FreeSWITCH is down (or not up yet after a restart)
// took its share of them and failed each with FREESWITCH_UNAVAILABLE, or, fire-and-forget, ran
// nothing and told nobody. Two agents, one broker (each driver in turn), node-1's FreeSWITCH down.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { Agent } from '@fsbus/agent';
import { BusErrorCode, decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { freePort, startKafka, startMosquitto, startRabbitMq, startRedis } from '@fsbus/testkit';
import { enc, jsonLineSink, startCluster, until, type Cluster, type ClusterOptions } from './support/cluster.js';
import { httpGet } from './support/http-get.js';

interface SharedLanesStatus {
  state: string;
  cordoned: boolean;
}
const shared = (agent: Agent) => agent.status()['shared_lanes'] as SharedLanesStatus | undefined;
/** Not serving the shared lanes (before the fix there was no such state: nothing to wait for). */
const leftOrUnknown = (agent: Agent) => shared(agent) === undefined || shared(agent)!.state === 'left';
const joined = (agent: Agent) => shared(agent)?.state === 'joined';

/** `ok@node-2: 20`, `FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE@node-1: 3`… */
function tally(replies: ReplyEnvelope[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const r of replies) {
    const k = `${r.success ? 'ok' : r.code}@${r.node_id}`;
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
}

async function apiRequests(cluster: Cluster, n: number, body = '{"command":"status"}'): Promise<ReplyEnvelope[]> {
  const replies: ReplyEnvelope[] = [];
  for (let i = 0; i < n; i++) replies.push(await cluster.request('freeswitch.api', body));
  return replies;
}

/** Publishes `n` fire-and-forget commands on the async lane and gathers their forward_to copies. */
async function asyncCommands(cluster: Cluster, n: number, tag: string): Promise<ReplyEnvelope[]> {
  const copies: ReplyEnvelope[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const sub = cluster.client.subscribe(`observers.${tag}`, (m) => {
    copies.push(decodeReply(m.data));
    if (copies.length === n) done();
  });
  await cluster.client.flush();
  try {
    for (let i = 0; i < n; i++) cluster.client.publish('freeswitch.cmd.async.status', enc(`{"forward_to":"observers.${tag}","correlation_id":"${tag}-${i}"}`));
    await cluster.client.flush();
    await all;
    return copies;
  } finally {
    await sub.unsubscribe();
  }
}

function sharedLaneSuite(driver: string, options: Omit<ClusterOptions, 'driver' | 'nodes'> = {}): void {
  void describe(`${driver}: shared lanes follow FreeSWITCH`, () => {
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster({ ...options, nodes: 2, driver });
    });
    after(() => cluster.stop());

    void test(`${driver}: a node whose FreeSWITCH is down leaves the shared lanes: the healthy node serves every api and async request; its own lane still answers; back, it serves them again`, async () => {
      const n1 = cluster.nodes[0]!;
      await n1.sim.control.stopListener();
      await until(n1.agent, () => !n1.agent.ready, 'node-1 FreeSWITCH loss seen');
      await until(n1.agent, () => leftOrUnknown(n1.agent), 'node-1 off the shared lanes');
      assert.deepEqual(tally(await apiRequests(cluster, 20)), { 'ok@node-2': 20 });
      assert.deepEqual(tally(await asyncCommands(cluster, 10, 'down')), { 'ok@node-2': 10 });
      assert.ok(n1.logs.some((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('FreeSWITCH not ready: left the shared lanes')));

      // Its own lane: agent.status answers, a FreeSWITCH command says why it cannot run.
      const st = await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}');
      assert.equal(st.success, true);
      assert.deepEqual((st.data as { shared_lanes: SharedLanesStatus }).shared_lanes, { state: 'left', cordoned: false });
      assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"status"}')).code, BusErrorCode.FREESWITCH_UNAVAILABLE);
      // Named on the shared lane: node-2 takes it and node-1 answers.
      const named = await cluster.request('freeswitch.api', '{"command":"status","node_id":"node-1"}');
      assert.deepEqual([named.node_id, named.code], ['node-1', BusErrorCode.FREESWITCH_UNAVAILABLE]);

      await n1.sim.control.startListener();
      await until(n1.agent, () => n1.agent.ready && joined(n1.agent), 'node-1 back on the shared lanes');
      assert.ok(n1.logs.some((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('FreeSWITCH ready: joined the shared lanes')));
      const back = tally(await apiRequests(cluster, 20));
      assert.ok((back['ok@node-1'] ?? 0) > 0 && (back['ok@node-2'] ?? 0) > 0, JSON.stringify(back));
      assert.equal((back['ok@node-1'] ?? 0) + (back['ok@node-2'] ?? 0), 20, JSON.stringify(back));
    });

    void test(`${driver}: an agent restarted before its FreeSWITCH is up takes no shared-lane request until it is`, async () => {
      const n1 = cluster.nodes[0]!;
      await n1.agent.stop();
      await n1.sim.control.stopListener();
      n1.logs.length = 0;
      n1.agent = new Agent(n1.agent.config, { logger: pino({ level: 'info' }, jsonLineSink(n1.logs)) });
      await n1.agent.start();
      // Up on the bus (its own lane answers), FreeSWITCH not yet.
      assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}')).success, true);
      assert.equal(n1.agent.ready, false);
      assert.deepEqual(tally(await apiRequests(cluster, 20)), { 'ok@node-2': 20 });
      assert.deepEqual(tally(await asyncCommands(cluster, 10, 'restart')), { 'ok@node-2': 10 });

      await n1.sim.control.startListener();
      await until(n1.agent, () => n1.agent.ready && joined(n1.agent), 'node-1 ready and on the shared lanes');
      const back = tally(await apiRequests(cluster, 20));
      assert.ok((back['ok@node-1'] ?? 0) > 0, JSON.stringify(back));
    });

    void test(`${driver}: agent.cordon takes the node off the shared lanes, its own lane still served; agent.uncordon brings it back`, async () => {
      const n1 = cluster.nodes[0]!;
      // A node_id naming another node is refused, also on the node's own lane (cordon-own-lane.test.ts: a bare one there is applied).
      const refused = await cluster.request('freeswitch.node.node-1', '{"command":"agent.cordon","node_id":"node-2"}');
      assert.deepEqual([refused.success, refused.code, refused.message], [false, BusErrorCode.INVALID_ARGUMENT, "agent.cordon for node node-1 names another node in node_id ('node-2'): nothing changed"]);
      assert.ok(joined(n1.agent));

      const cordoned = await cluster.request('freeswitch.api', '{"command":"agent.cordon","node_id":"node-1"}');
      assert.deepEqual([cordoned.success, cordoned.node_id], [true, 'node-1'], cordoned.message);
      await until(n1.agent, () => shared(n1.agent)?.state === 'left', 'node-1 cordoned');
      assert.deepEqual(tally(await apiRequests(cluster, 20)), { 'ok@node-2': 20 });
      assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"status"}')).success, true);
      const st = await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}');
      assert.deepEqual((st.data as { shared_lanes: SharedLanesStatus }).shared_lanes, { state: 'left', cordoned: true });
      // Still ready (its links are up, its own lane served), and a probe can tell it is cordoned.
      const readyz = await httpGet(n1.agent.httpPort!, '/readyz');
      assert.deepEqual([readyz.status, JSON.parse(readyz.body) as unknown], [200, { ready: true, broker: 'connected', esl: 'ready', cordoned: true }]);
      // FreeSWITCH coming back does not end a cordon.
      await n1.sim.control.stopListener();
      await until(n1.agent, () => !n1.agent.ready, 'node-1 FreeSWITCH loss seen');
      await n1.sim.control.startListener();
      await until(n1.agent, () => n1.agent.ready, 'node-1 FreeSWITCH back');
      assert.deepEqual(shared(n1.agent), { state: 'left', cordoned: true });

      const un = await cluster.request('freeswitch.node.node-1', '{"command":"agent.uncordon","node_id":"node-1"}');
      assert.equal(un.success, true, un.message);
      await until(n1.agent, () => joined(n1.agent), 'node-1 uncordoned');
      const back = tally(await apiRequests(cluster, 20));
      assert.ok((back['ok@node-1'] ?? 0) > 0, JSON.stringify(back));
    });
  });
}

sharedLaneSuite('nats');
sharedLaneSuite('amqp', { startBroker: () => startRabbitMq() });
sharedLaneSuite('redis', { startBroker: () => startRedis() });
sharedLaneSuite('mqtt', { startBroker: () => startMosquitto() });
// Each leave and join is a consumer-group rebalance: seconds, not milliseconds.
sharedLaneSuite('kafka', { startBroker: () => startKafka() });
const zmqUrls = await Promise.all([0, 1].map(async () => `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`));
sharedLaneSuite('zmq', {
  // No broker process: each agent binds its own endpoints, the client connects to both.
  startBroker: () => Promise.resolve({ url: zmqUrls[0]!, halt: async () => {}, start: async () => {}, stop: async () => {} }),
  agentUrls: (i) => [zmqUrls[i]!],
  clientUrls: zmqUrls,
});
