// FSBUS_NODE_ID and its mod_event_agent name MOD_EVENT_AGENT_NODE_ID set to different values:
// FSBUS_NODE_ID won without a word, and an operator who set the other (a unit file kept from
// mod_event_agent, an override added later) looked for requests on a subject nobody served.
// The agent now says at start which two values it was given and which one it uses.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { loadConfig, nodeIdEnvConflict } from '../src/config/load-config.js';
import { spawnAgent } from './support/agent-process.js';

const BOTH = { FSBUS_NODE_ID: 'fs-a', MOD_EVENT_AGENT_NODE_ID: 'fs-b' };

void test('two different node ids in the environment: said, with the one used (FSBUS_NODE_ID, as loadConfig takes it)', () => {
  const conflict = nodeIdEnvConflict(BOTH);
  assert.equal(conflict?.message, "FSBUS_NODE_ID ('fs-a') and MOD_EVENT_AGENT_NODE_ID ('fs-b') differ: node_id 'fs-a' from FSBUS_NODE_ID is used");
  assert.deepEqual(conflict?.fields, { FSBUS_NODE_ID: 'fs-a', MOD_EVENT_AGENT_NODE_ID: 'fs-b', node_id: 'fs-a' });
  assert.equal(loadConfig({ env: BOTH }).node_id, 'fs-a', 'the precedence the warning names');
  // One of them, the same value twice, or the same node once slugified: nothing to say.
  assert.equal(nodeIdEnvConflict({ FSBUS_NODE_ID: 'fs-a' }), undefined);
  assert.equal(nodeIdEnvConflict({ MOD_EVENT_AGENT_NODE_ID: 'fs-b' }), undefined);
  assert.equal(nodeIdEnvConflict({ FSBUS_NODE_ID: 'fs-a', MOD_EVENT_AGENT_NODE_ID: 'fs-a' }), undefined);
  assert.equal(nodeIdEnvConflict({ FSBUS_NODE_ID: 'FS-A', MOD_EVENT_AGENT_NODE_ID: 'fs-a' }), undefined);
  // Empty counts as unset (loadConfig then takes the other).
  assert.equal(nodeIdEnvConflict({ FSBUS_NODE_ID: '', MOD_EVENT_AGENT_NODE_ID: 'fs-b' }), undefined);
});

void test('fsbus agent logs the conflict once at start, and nothing when both say the same', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const base = { FSBUS_BROKER_URL: nats.url, FSBUS_ESL_PORT: String(port), FSBUS_METRICS: 'false' };
  const conflict = (l: Record<string, unknown>) => String(l['msg']).includes('MOD_EVENT_AGENT_NODE_ID');
  try {
    for (const [env, expected] of [
      [BOTH, 1],
      [{ FSBUS_NODE_ID: 'fs-c', MOD_EVENT_AGENT_NODE_ID: 'fs-c' }, 0],
    ] as const) {
      const agent = spawnAgent({ ...base, ...env });
      try {
        const started = await agent.line((l) => l['msg'] === 'agent started', 'agent started');
        const lines = agent.logs.filter(conflict);
        assert.equal(lines.length, expected, JSON.stringify(agent.logs));
        if (expected === 1) {
          assert.equal(lines[0]!['level'], 40);
          assert.equal(lines[0]!['MOD_EVENT_AGENT_NODE_ID'], 'fs-b');
          assert.ok(agent.logs.indexOf(lines[0]!) < agent.logs.indexOf(started), 'before the agent starts');
        }
      } finally {
        agent.kill();
        await agent.exited;
      }
    }
  } finally {
    await sim.stop();
    await nats.stop();
  }
});
