// Settings a shared broker needs: with commands.allowlist set, the built-ins that run anything
// (execute_app any dialplan application, originate any endpoint and app) still run unless the
// denylist names them — the start says so once; and examples/deploy/agent.yaml bounds where a
// requester can make the agent publish (commands.reply_to, commands.forward_to).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, startNatsServer } from '@fsbus/testkit';
import { spawnAgent } from './support/agent-process.js';

const ALLOWLIST_BUILTINS_LOG_START = 'commands.allowlist does not limit the built-in commands';

void test('the start warns once when an allowlist is set and execute_app or originate is not denied', async () => {
  const nats = await startNatsServer();
  try {
    const esl = String(await freePort());
    const run = async (env: Record<string, string>) => {
      const agent = spawnAgent({ FSBUS_BROKER_URL: nats.url, FSBUS_NODE_ID: 'allowlist-builtins', FSBUS_ESL_PORT: esl, FSBUS_METRICS: 'false', ...env });
      try {
        await agent.line((l) => l['msg'] === 'FreeSWITCH not reachable, retrying', "'FreeSWITCH not reachable'");
        return agent.logs.filter((l) => String(l['msg']).startsWith(ALLOWLIST_BUILTINS_LOG_START));
      } finally {
        agent.kill();
        await agent.exited;
      }
    };
    const warned = await run({ FSBUS_API_ALLOWLIST: 'status,uuid_kill' });
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.equal(warned[0]!['level'], 40);
    assert.deepEqual(warned[0]!['not_denied'], ['execute_app', 'originate']);
    assert.match(String(warned[0]!['msg']), /commands\.denylist \(FSBUS_API_DENYLIST\)/);
    // One of the two denied (any case): the other is still said.
    assert.deepEqual((await run({ FSBUS_API_ALLOWLIST: 'status', FSBUS_API_DENYLIST: 'Execute_App' }))[0]?.['not_denied'], ['originate']);
    // Both denied, or no allowlist: nothing to say.
    assert.deepEqual(await run({ FSBUS_API_ALLOWLIST: 'status', FSBUS_API_DENYLIST: 'execute_app,ORIGINATE' }), []);
    assert.deepEqual(await run({ FSBUS_API_DENYLIST: 'system' }), []);
  } finally {
    await nats.stop();
  }
});

void test('examples/deploy/agent.yaml sets commands.reply_to and commands.forward_to (not left open)', () => {
  const yaml = readFileSync(fileURLToPath(new URL('../../../examples/deploy/agent.yaml', import.meta.url)), 'utf8');
  assert.match(yaml, /^ {2}reply_to: \[_INBOX\.>\]$/m);
  assert.match(yaml, /^ {2}forward_to: \[[^\]]+\]$/m);
});
