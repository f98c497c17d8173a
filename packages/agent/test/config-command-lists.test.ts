// commands.denylist / commands.allowlist entries that could never match were accepted and silently
// never matched (`uuid_*`, an allowlisted built-in): they are refused at load (exit 78), naming the field.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { Agent } from '../src/agent.js';
import { BUILTIN_COMMAND_NAMES } from '../src/commands/registry.js';
import { ConfigError } from '../src/errors.js';
import { loadConfig, type LoadConfigOptions } from '../src/config/load-config.js';
import { spawnAgent } from './support/agent-process.js';

function refusal(options: LoadConfigOptions): { field: string; message: string } {
  try {
    loadConfig(options);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { field: err.field, message: err.message };
  }
  assert.fail(`accepted: ${JSON.stringify(options)}`);
}

const fileList = (field: 'denylist' | 'allowlist', entries: string[]): LoadConfigOptions => ({ values: { node_id: 'n1', commands: { [field]: entries } }, env: {} });

void test('a pattern is not a command name: refused naming the entry, telling to list each name', () => {
  const { field, message } = refusal(fileList('denylist', ['uuid_*', 'hupall']));
  assert.equal(field, 'commands.denylist.0');
  assert.equal(message, "invalid config: commands.denylist.0: 'uuid_*' is not a command name: the lists take whole names, no patterns (list each: uuid_kill, uuid_transfer, …)");
  for (const entry of ['uuid_?ill', 'uuid_[kt]*', 'show*']) {
    assert.match(refusal(fileList('allowlist', ['status', entry])).message, /^invalid config: commands\.allowlist\.1: '.+' is not a command name: the lists take whole names, no patterns/, entry);
  }
  // From the environment: the variable is named.
  const env = refusal({ env: { FSBUS_NODE_ID: 'n1', FSBUS_API_DENYLIST: 'uuid_*,originate,hangup,execute_app,agent.cordon' } });
  assert.equal(env.field, 'FSBUS_API_DENYLIST');
  assert.match(env.message, /'uuid_\*' is not a command name/);
});

void test('characters no FreeSWITCH API or built-in name has are refused; whitespace still is', () => {
  for (const entry of ['sys;tem', '${system(id)}', 'loopback/app', 'uuid:kill', 'système']) {
    const { field, message } = refusal(fileList('denylist', [entry]));
    assert.equal(field, 'commands.denylist.0', entry);
    assert.ok(message.includes(`'${entry}' is not a command name`), message);
  }
  assert.match(refusal(fileList('denylist', ['system bg_system'])).message, /one verb per entry/);
});

void test('an allowlist entry naming only a built-in command is refused: built-ins are governed by the denylist', () => {
  for (const entry of ['hangup', 'Agent.Status', 'execute_app', 'dialplan.enable', 'agent.cordon']) {
    const { field, message } = refusal(fileList('allowlist', ['status', entry]));
    assert.equal(field, 'commands.allowlist.1', entry);
    assert.ok(message.includes(`'${entry}' is the agent's built-in command`), message);
    assert.ok(message.includes('commands.denylist'), message);
  }
  assert.equal(refusal({ env: { FSBUS_NODE_ID: 'n1', FSBUS_API_ALLOWLIST: 'status,hangup' } }).field, 'FSBUS_API_ALLOWLIST');
  // originate is a FreeSWITCH API too (`ORIGINATE`, `bgapi originate …` reach it): it may be allowed.
  assert.deepEqual(loadConfig(fileList('allowlist', ['bgapi', 'originate'])).commands.allowlist, ['bgapi', 'originate']);
});

void test('built-in names, FreeSWITCH API names and names with - or . are accepted in the denylist', () => {
  const denylist = ['uuid_kill', 'hangup', 'ORIGINATE', 'execute_app', 'agent.cordon', 'Dialplan.Enable', 'agent.status', 'some-module_api', 'g729_info'];
  assert.deepEqual(loadConfig(fileList('denylist', denylist)).commands.denylist, denylist);
});

void test('BUILTIN_COMMAND_NAMES is what the agent registers', () => {
  const agent = new Agent(loadConfig({ values: { node_id: 'n1', metrics: { enabled: false } }, env: {} }), { logger: pino({ level: 'silent' }) });
  assert.deepEqual([...agent.registry.names].sort(), [...BUILTIN_COMMAND_NAMES].sort());
});

void test('fsbus agent with FSBUS_API_DENYLIST=uuid_* exits 78 before connecting', async () => {
  const agent = spawnAgent({ FSBUS_BROKER_URL: 'nats://127.0.0.1:1', FSBUS_API_DENYLIST: 'uuid_*,originate', FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'glob-list' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /^fsbus agent: invalid config: FSBUS_API_DENYLIST: 'uuid_\*' is not a command name: /);
});
