// The start-up check refuses a second agent of one node id only if the first answers within 2 s. A
// frozen first agent (SIGSTOP, a long GC or VM pause) does not: the second starts, the first
// resumes, and both serve `<prefix>.node.<id>` — an originate for one switch may run on the other,
// and nobody was told. Each agent now asks, after start and every interval, whether another one
// answers for its node id, and says so: an error line (when it starts and when it ends), the
// `fsbus_node_id_conflict` gauge, and `node_id_conflict` in agent.status.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startBrokerRelay, startNatsServer, startRedis } from '@fsbus/testkit';
import { jsonLineSink, logLine, until, type Node } from './support/cluster.js';

/** An agent for `fs-b` on its own simulated FreeSWITCH, its log lines kept; not started. */
async function agentFsB(driver: string, brokerUrl: string, watchMs: number): Promise<Node> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const logs: Array<Record<string, unknown>> = [];
  const sink = jsonLineSink(logs);
  const config = loadConfig({
    values: { driver, node_id: 'fs-b', broker: { urls: [brokerUrl] }, esl: { host: '127.0.0.1', port }, metrics: { port: 0, host: '127.0.0.1' } },
    env: {},
  });
  const agent = new Agent(config, { logger: pino({ level: 'debug' }, sink), nodeIdWatchMs: watchMs });
  return { id: 'fs-b', sim, agent, logs };
}

async function gauge(agent: Agent): Promise<number | undefined> {
  const m = await agent.metrics.registry.getSingleMetric('fsbus_node_id_conflict')?.get();
  return m?.values[0]?.value;
}

const identity = (agent: Agent): { hostname: unknown; pid: unknown; instance_id: unknown } => {
  const s = agent.status();
  return { hostname: s['hostname'], pid: s['pid'], instance_id: s['instance_id'] };
};

/** `url` with the relay's port: the same broker, reached through the relay. */
function throughRelay(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

/** A broker of the test kit: its URL (its port in it) and how to stop it. */
interface Broker {
  readonly url: string;
  stop(): Promise<void>;
}

function conflictCase(driver: string, startBroker: () => Promise<Broker>): void {
  void test(`${driver}: an agent frozen through the second one's start-up check, then back: both say the conflict (log, gauge, agent.status), and its end`, async () => {
    const broker = await startBroker();
    const relay = await startBrokerRelay(Number(new URL(broker.url).port));
    const a = await agentFsB(driver, throughRelay(broker.url, relay.port), 100);
    const b = await agentFsB(driver, broker.url, 100);
    try {
      await a.agent.start();
      await until(a.agent, () => a.agent.ready, 'A ready');
      assert.equal(typeof identity(a.agent).instance_id, 'string', 'agent.status names its instance');
      assert.equal(await gauge(a.agent), 0);
      relay.freeze();
      // A holds fs-b's lane but answers nothing: B's check waits its bound and starts (with a warning).
      await b.agent.start();
      await logLine(b, "node id check: no answer on this node's lane in time, starting (a crashed agent's lane the broker still holds, or a subscriber that does not answer)");
      relay.thaw();

      const onA = await logLine(a, 'node id conflict: another agent answers for this node id');
      const onB = await logLine(b, 'node id conflict: another agent answers for this node id');
      assert.equal(onA['level'], 50);
      assert.deepEqual(onA['other'], identity(b.agent), "A's line names B");
      assert.deepEqual(onB['other'], identity(a.agent), "B's line names A");
      for (const [self, other] of [
        [a, b],
        [b, a],
      ] as const) {
        assert.equal(await gauge(self.agent), 1);
        const c = self.agent.status()['node_id_conflict'] as Record<string, unknown> | undefined;
        assert.ok(c !== undefined, 'agent.status says the conflict');
        assert.deepEqual({ hostname: c['hostname'], pid: c['pid'], instance_id: c['instance_id'] }, identity(other.agent));
        assert.equal(typeof c['since'], 'string');
        // Neither leaves: both would then be gone.
        assert.equal(self.agent.ready, true);
      }

      await b.agent.stop();
      await logLine(a, 'node id conflict ended: no other agent answers for this node id');
      assert.equal(await gauge(a.agent), 0);
      assert.equal(a.agent.status()['node_id_conflict'], undefined);
    } finally {
      await b.agent.stop();
      await a.agent.stop();
      await relay.close();
      await a.sim.stop();
      await b.sim.stop();
      await broker.stop();
    }
  });
}

conflictCase('nats', () => startNatsServer());
// Redis holds the frozen agent's lane (its serving mark outlives the freeze): the check times out.
conflictCase('redis', () => startRedis());

// The other agent stopping cleanly (the operator's fix) said goodbye, but the survivor kept its
// alarm on until its next ask: up to the whole interval (30 s by default). Another instance's
// goodbye (fsbus::agent_stop, this node id) now makes it ask again at once. The interval here is
// 10 minutes: only the goodbye can end the conflict within the test's bound.
void test("nats: the other agent's clean stop ends the conflict at once, not at the next interval", async () => {
  const watchMs = 10 * 60_000;
  const broker = await startNatsServer();
  const relay = await startBrokerRelay(Number(new URL(broker.url).port));
  const a = await agentFsB('nats', throughRelay(broker.url, relay.port), watchMs);
  const b = await agentFsB('nats', broker.url, watchMs);
  try {
    await a.agent.start();
    await until(a.agent, () => a.agent.ready, 'A ready');
    relay.freeze();
    await b.agent.start();
    await logLine(b, "node id check: no answer on this node's lane in time, starting (a crashed agent's lane the broker still holds, or a subscriber that does not answer)");
    relay.thaw();
    // A asks after a broker reconnect too: the one way to have it see B before its 10-minute tick.
    relay.dropNext();
    const onA = await logLine(a, 'node id conflict: another agent answers for this node id');
    assert.deepEqual(onA['other'], identity(b.agent));
    assert.equal(await gauge(a.agent), 1);
    assert.notEqual(a.agent.status()['node_id_conflict'], undefined);

    const bIs = identity(b.agent);
    await b.agent.stop();
    const ended = await logLine(a, 'node id conflict ended: no other agent answers for this node id');
    assert.equal(ended['level'], 40);
    assert.deepEqual(ended['other'], bIs);
    assert.equal(await gauge(a.agent), 0);
    assert.equal(a.agent.status()['node_id_conflict'], undefined);
  } finally {
    await b.agent.stop();
    await a.agent.stop();
    await relay.close();
    await a.sim.stop();
    await b.sim.stop();
    await broker.stop();
  }
});
