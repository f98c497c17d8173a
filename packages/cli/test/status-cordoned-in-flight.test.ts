// The cordon docs say to wait for `counters.in_flight` 0 before maintenance; `fsbus status` showed
// it only with --json. A cordoned node's in-flight count is now said with its table (stderr, one
// line per cordoned node: the table stays within its columns). The agent is started cordoned
// (commands.start_cordoned), so `status` shows it cordoned from the start. The real CLI against a
// real agent bridging a simulated node on a real nats-server; `msleep` holds a command in flight.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { agentUntil } from './support/cli-cluster.js';
import { cliEnv, runCli } from './support/run-cli.js';

const counters = (agent: Agent) => agent.status()['counters'] as Record<string, number>;
const lanes = (agent: Agent) => agent.status()['shared_lanes'] as { state: string; cordoned: boolean };

void test('status of a node started cordoned: LANES cordoned, its in-flight count said; uncordon joins', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'node-a' });
  const { port } = await sim.start();
  const agent = new Agent(
    loadConfig({
      values: { node_id: 'node-a', log_level: 'silent', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false }, commands: { drain_timeout_ms: 200 } },
      env: { FSBUS_START_CORDONED: 'true' },
    }),
  );
  const env = cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
  try {
    await agent.start();
    await agent.whenReady(15_000);
    const idle = await runCli(['status', '--node', 'node-a'], env);
    assert.equal(idle.code, 0, idle.err);
    assert.match(idle.out, /^node-a\s+\S+\s+\S+\s+nats\s+connected\s+ready\s+cordoned\s+yes\s/m);
    assert.match(idle.err, /^fsbus status: node-a is cordoned, 0 commands in flight \(counters\.in_flight\)$/m);

    const held = runCli(['api', '--node', 'node-a', '--timeout', '30000', 'msleep', '600000'], env);
    await agentUntil(agent, () => counters(agent)['in_flight'] === 1, 'a command in flight');
    const busy = await runCli(['status', '--all', '--expect', 'node-a'], env);
    assert.equal(busy.code, 0, busy.err);
    assert.match(busy.out, /^node-a\s+\S+\s+\S+\s+nats\s+connected\s+ready\s+cordoned\s+yes\s/m);
    assert.match(busy.err, /^fsbus status: node-a is cordoned, 1 command in flight \(counters\.in_flight\): wait for 0 before working on its FreeSWITCH$/m);
    assert.equal(busy.out.trimEnd().split('\n').length, 2, 'stdout: the table only');
    const json = await runCli(['status', '--node', 'node-a', '--json'], env);
    assert.equal(json.err, '', 'nothing said besides the JSON');

    const un = await runCli(['uncordon', 'node-a'], env);
    assert.equal(un.code, 0, un.err);
    await agentUntil(agent, () => lanes(agent).state === 'joined', 'node-a on the shared lanes');
    const joined = await runCli(['status'], env);
    assert.equal(joined.code, 0, joined.err);
    assert.match(joined.out, /^node-a\s+\S+\s+\S+\s+nats\s+connected\s+ready\s+joined\s+yes\s/m);
    assert.doesNotMatch(joined.err, /cordoned/);

    await agent.stop();
    assert.equal((await held).code, 4);
  } finally {
    await agent.stop();
    await sim.stop();
    await nats.stop();
  }
});
