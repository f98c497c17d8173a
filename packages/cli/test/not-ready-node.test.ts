// An agent up on the broker whose FreeSWITCH is not ready (the ESL password refused, then FreeSWITCH
// gone) has left the shared lanes: `fsbus status` shows the node's state instead of "no agent is
// listening", and a command on the shared lane says both causes of no responders.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { cliEnv, runCli } from './support/run-cli.js';

const NODE = 'fs-unready';

/** Resolves once `check` holds, re-checked on each state change of the agent. */
function until(agent: Agent, check: () => boolean, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for: ${what}`));
    }, 15_000);
    const off = agent.onStateChange(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

const esl = (agent: Agent): { status: string; auth: string } => agent.status()['esl'] as { status: string; auth: string };

void describe('fsbus status / api against a node whose FreeSWITCH is not ready', () => {
  let nats: NatsServerHandle;
  let sim: Simulator;
  let agent: Agent;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    nats = await startNatsServer();
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: NODE });
    const { port } = await sim.start();
    sim.control.refuseAuth(true);
    agent = new Agent(
      loadConfig({
        values: { node_id: NODE, log_level: 'silent', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } },
        env: {},
      }),
    );
    // Resolves with its own lanes and the broadcast served; the shared lanes wait for FreeSWITCH.
    await agent.start();
    await until(agent, () => esl(agent).auth === 'refused', 'the ESL password refused');
    env = cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
  });
  after(async () => {
    await agent?.stop();
    await sim?.stop();
    await nats?.stop();
  });

  void it('status shows the node and why it is not ready (exit 4), not "no agent is listening"', async () => {
    const r = await runCli(['status'], env);
    assert.equal(r.code, 4, r.err);
    assert.doesNotMatch(r.err, /no agent is listening/);
    assert.match(r.out, new RegExp(`^${NODE} `, 'm'));
    assert.match(r.err, /no agent is ready on freeswitch\.api/);
    // The agent's own not_ready_reason (what its /readyz says).
    assert.match(r.err, new RegExp(`^  ${NODE}: FreeSWITCH refused the ESL password \\(authentication refused: -ERR invalid\\), retrying: check FSBUS_ESL_PASSWORD$`, 'm'));
    assert.match(r.err, /^hint: .*\/readyz/m);
    const json = await runCli(['status', '--json'], env);
    assert.equal(json.code, 4, json.err);
    const statuses = JSON.parse(json.out) as Array<{ node_id: string; esl: { auth: string } }>;
    assert.deepEqual(statuses.map((s) => [s.node_id, s.esl.auth]), [[NODE, 'refused']]);
    // No agent at all on a prefix: the broadcast finds nobody either, and that is said as before.
    const none = await runCli(['status', '--prefix', 'nobody'], env);
    assert.equal(none.code, 4, none.err);
    assert.match(none.err, /^fsbus status: FSBUS_ERR_CLIENT_NO_RESPONDERS: agent\.status request: no agent is listening \(no responders on nobody\.api\)$/m);
    assert.equal(none.out, '');
  });

  void it('api on the shared lane: no responders, with a hint naming both causes', async () => {
    const r = await runCli(['api', 'status'], env);
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /FSBUS_ERR_CLIENT_NO_RESPONDERS/);
    assert.match(r.err, /^hint: no agent is ready for this prefix: none running, none has FreeSWITCH ready \(ESL down or refused\), or all are cordoned.*`fsbus status --all` shows each node's state/m);
    // Its own lane answers: FreeSWITCH is what is missing.
    const direct = await runCli(['api', 'status', '--node', NODE], env);
    assert.equal(direct.code, 1, direct.err);
    assert.match(direct.err, /FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE/);
  });

  void it('status with FreeSWITCH gone names the ESL state', async () => {
    await sim.stop();
    // The refusal stands until an attempt finds no listener: then the agent names the ESL state.
    await until(agent, () => String(agent.status()['not_ready_reason']).startsWith('FreeSWITCH event connection'), 'an attempt that found no listener');
    const r = await runCli(['status'], env);
    assert.equal(r.code, 4, r.err);
    assert.doesNotMatch(r.err, /no agent is listening/);
    // Its state at that moment: between two attempts, or trying.
    assert.match(r.err, new RegExp(`^  ${NODE}: FreeSWITCH event connection (disconnected|reconnecting|connecting)`, 'm'));
  });
});
