// A command the agent cut off at its stop's deadline is answered FSBUS_ERR_BUS_TIMEOUT, "the agent
// stopped before FreeSWITCH answered …": the CLI's hint for that code blamed FreeSWITCH ("did not
// answer the agent in time"). It now says the agent was stopping. The real CLI against a real
// agent bridging a simulated node on a real nats-server; `msleep` holds the command past the deadline.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { cliEnv, runCli } from './support/run-cli.js';

function inFlight(agent: Agent): Promise<void> {
  const now = (): boolean => (agent.status()['counters'] as Record<string, number>)['in_flight'] === 1;
  if (now()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the command never got in flight')), 15_000);
    const off = agent.onStateChange(() => {
      if (!now()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

void test("a command cut off by the agent's stop: the hint says the agent was stopping, not that FreeSWITCH was slow", async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'stop-node' });
  const { port } = await sim.start();
  const agent = new Agent(
    loadConfig({
      values: { node_id: 'stop-node', log_level: 'silent', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false }, commands: { drain_timeout_ms: 200 } },
      env: {},
    }),
  );
  try {
    await agent.start();
    await agent.whenReady(15_000);
    const cli = runCli(['api', '--node', 'stop-node', '--timeout', '30000', 'msleep', '600000'], cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' }));
    await inFlight(agent);
    await agent.stop();
    const r = await cli;
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /FSBUS_ERR_BUS_TIMEOUT: the agent stopped before FreeSWITCH answered \(its drain deadline, 0\.2 s\): the command may have run/);
    assert.match(r.err, /^hint: the agent was stopping/m);
    assert.doesNotMatch(r.err, /FreeSWITCH did not answer the agent in time/);
  } finally {
    await agent.stop();
    await sim.stop();
    await nats.stop();
  }
});

// FreeSWITCH's connection lost while a command waited for its answer: the agent says it may have
// run; the hint said only that the agent had no Event Socket connection (as for one never sent).
void test('a command whose FreeSWITCH connection was lost under it: the hint says it may have run', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'lost-node' });
  const { port } = await sim.start();
  const agent = new Agent(
    loadConfig({
      values: { node_id: 'lost-node', log_level: 'silent', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } },
      env: {},
    }),
  );
  try {
    await agent.start();
    await agent.whenReady(15_000);
    const cli = runCli(['api', '--node', 'lost-node', '--timeout', '30000', 'msleep', '600000'], cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' }));
    await inFlight(agent);
    sim.control.dropConnections();
    const r = await cli;
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE: FreeSWITCH connection lost while the command waited for its answer: it may have run/);
    assert.match(r.err, /^hint: FreeSWITCH's connection was lost while the command ran: it may have run/m);
  } finally {
    await agent.stop();
    await sim.stop();
    await nats.stop();
  }
});
