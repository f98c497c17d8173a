// Two agents with the same node_id (a config file copied to a second FreeSWITCH box) both served
// `<prefix>.node.<id>`: one originate placed a call on both switches, and nobody was told. The
// second one is now refused at start (a configuration error), and the first keeps serving alone.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { Agent, AgentErrorCode, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startKafka, startMosquitto, startRedis } from '@fsbus/testkit';
import { startCluster, until, type Cluster, type ClusterOptions } from './support/cluster.js';

interface Second {
  agent: Agent;
  sim: Simulator;
  stop(): Promise<void>;
}

/** Another FreeSWITCH (simulator) with an agent configured as `node-1`, like the cluster's first: not started. */
async function secondNode1(cluster: Cluster): Promise<Second> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const config = loadConfig({
    values: { driver: cluster.driver, node_id: 'node-1', broker: { urls: [cluster.broker.url] }, esl: { host: '127.0.0.1', port }, metrics: { port: 0, host: '127.0.0.1' } },
    env: {},
  });
  const agent = new Agent(config, { logger: pino({ level: 'silent' }) });
  return {
    agent,
    sim,
    async stop() {
      await agent.stop();
      await sim.stop();
    },
  };
}

const refusal = {
  code: AgentErrorCode.CONFIG,
  message: `invalid config: node_id: another agent already serves node 'node-1' (freeswitch.node.node-1), on host ${hostname()}: give each agent its own node_id (FSBUS_NODE_ID)`,
};

async function refusedThenFirstServesAlone(options: ClusterOptions): Promise<void> {
  const cluster = await startCluster(options);
  const second = await secondNode1(cluster);
  try {
    await assert.rejects(second.agent.start(), refusal);
    const first = cluster.nodes[0]!;
    assert.equal(first.agent.ready, true, 'the first agent keeps running');
    const uuid = `dup-${options.driver ?? 'nats'}`;
    const r = await cluster.request('freeswitch.node.node-1', `{"command":"originate","endpoint":"user/1000","extension":"&park()","uuid":"${uuid}"}`, 15_000);
    assert.equal(r.success, true, r.message);
    assert.equal(first.sim.core.hasChannel(uuid), true, 'the call is on the first FreeSWITCH');
    assert.equal(second.sim.core.hasChannel(uuid), false, 'and only there');
  } finally {
    await second.stop();
    await cluster.stop();
  }
}

void test('nats: a second agent with the same node_id is refused at start; the first serves alone, one originate places one call', () => refusedThenFirstServesAlone({}));

void test('redis: the same refusal (the answer travels over the lane stream and the reply stream)', () =>
  refusedThenFirstServesAlone({ driver: 'redis', startBroker: () => startRedis() }));

void test('mqtt: the same refusal (MQTT 5 request/response)', () => refusedThenFirstServesAlone({ driver: 'mqtt', startBroker: () => startMosquitto() }));

void test('kafka: the same refusal (the answer comes back on the reply topic the check opens)', () =>
  refusedThenFirstServesAlone({ driver: 'kafka', startBroker: () => startKafka() }));

void test('nats: an agent started after the previous one stopped, or after its connection died (a crash), is not refused', async () => {
  const cluster = await startCluster();
  const seconds: Second[] = [];
  try {
    await cluster.nodes[0]!.agent.stop();
    const afterStop = await secondNode1(cluster);
    seconds.push(afterStop);
    await afterStop.agent.start();
    await until(afterStop.agent, () => afterStop.agent.ready, 'the new node-1 ready');
    // A crash: the process is gone and the broker drops its connection with its subscriptions.
    await afterStop.agent.driver!.close();
    const afterCrash = await secondNode1(cluster);
    seconds.push(afterCrash);
    await afterCrash.agent.start();
    await until(afterCrash.agent, () => afterCrash.agent.ready, 'node-1 ready again');
    assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}')).node_id, 'node-1');
  } finally {
    for (const s of seconds) await s.stop();
    await cluster.stop();
  }
});

// A stopping agent keeps its own lane while it drains, refusing every request
// (FSBUS_ERR_BUS_SHUTTING_DOWN, agent.status too: `fsbus status` shows it stopping). That refusal is
// no agent holding the id: a new one started meanwhile (a restart that does not wait for the drain)
// starts.
void test('nats: an agent started while the previous one drains its in-flight commands is not refused', async () => {
  const cluster = await startCluster({ config: { commands: { drain_timeout_ms: 30_000 } } });
  const first = cluster.nodes[0]!;
  let second: Second | undefined;
  try {
    first.sim.core.control.setLatency(600_000);
    const held = cluster.request('freeswitch.node.node-1', '{"command":"status"}', 60_000);
    held.catch(() => undefined); // awaited below; a failure before then must not hide behind its rejection
    await until(first.agent, () => (first.agent.status()['counters'] as Record<string, number>)['in_flight'] === 1, 'a command in flight');
    const stopped = first.agent.stop();
    const refused = await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}');
    assert.equal(refused.code, 'FSBUS_ERR_BUS_SHUTTING_DOWN', JSON.stringify(refused));
    second = await secondNode1(cluster);
    const next = second;
    await next.agent.start();
    await until(next.agent, () => next.agent.ready, 'the new node-1 ready');
    // The held command fails now (FreeSWITCH lost under it): the drain ends, the old agent goes.
    first.sim.control.dropConnections();
    await stopped;
    const answer = await held;
    assert.equal(answer.code, 'FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE', JSON.stringify(answer));
  } finally {
    await second?.stop();
    await cluster.stop();
  }
});
