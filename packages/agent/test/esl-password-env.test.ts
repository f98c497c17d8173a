// FreeSWITCH refusing the ESL password names the variable to fix: the one the agent read it
// from. With mod_event_agent's MOD_EVENT_AGENT_ESL_PASSWORD in use, the line and /readyz used to
// say FSBUS_ESL_PASSWORD, which the operator never set.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { loadConfig } from '../src/config/load-config.js';
import { spawnAgent } from './support/agent-process.js';

void test('the config keeps which variable the ESL password came from', () => {
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', MOD_EVENT_AGENT_ESL_PASSWORD: 'pw' } }).esl_password_env, 'MOD_EVENT_AGENT_ESL_PASSWORD');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_ESL_PASSWORD: 'pw', MOD_EVENT_AGENT_ESL_PASSWORD: 'other' } }).esl_password_env, 'FSBUS_ESL_PASSWORD');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1' } }).esl_password_env, undefined);
});

void test('a refused ESL password read from MOD_EVENT_AGENT_ESL_PASSWORD is said with that name', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  sim.control.refuseAuth(true);
  const agent = spawnAgent({ FSBUS_BROKER_URL: nats.url, FSBUS_ESL_PORT: String(port), MOD_EVENT_AGENT_ESL_PASSWORD: 'Wr0ngPw', FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'esl-env' });
  try {
    const line = await agent.line((l) => String(l['msg']).startsWith('FreeSWITCH refused the ESL password'), 'the refusal line');
    assert.equal(line['msg'], 'FreeSWITCH refused the ESL password (MOD_EVENT_AGENT_ESL_PASSWORD), retrying');
    assert.ok(!JSON.stringify(agent.logs).includes('Wr0ngPw'));
  } finally {
    agent.kill();
    await agent.exited;
    await sim.stop();
    await nats.stop();
  }
});
