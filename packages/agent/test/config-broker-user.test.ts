// broker.user without its password reached the broker, which refused it ("Authorization
// Violation", exit 1): it is a config error at load (exit 78), as the dialplan user/password pair is.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ConfigError } from '../src/errors.js';
import { loadConfig } from '../src/config/load-config.js';
import { spawnAgent } from './support/agent-process.js';

function refusedField(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { field: err.field, message: err.message };
  }
  assert.fail('accepted');
}

void test('broker.user (file or FSBUS_BROKER_USER) without FSBUS_BROKER_PASSWORD is refused, naming what is missing', () => {
  for (const [options, from] of [
    [{ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_USER: 'agent' } }, 'FSBUS_BROKER_USER'],
    [{ values: { node_id: 'n1', broker: { user: 'agent' } }, env: {} }, 'broker.user'],
    // A token is no password for a user.
    [{ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_USER: 'agent', FSBUS_BROKER_TOKEN: 't' } }, 'FSBUS_BROKER_USER'],
  ] as const) {
    const { field, message } = refusedField(() => loadConfig(options));
    assert.equal(field, 'FSBUS_BROKER_PASSWORD', message);
    assert.ok(message.includes(from), message);
  }
});

void test('broker.user with its password, or no user at all, is accepted', () => {
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_USER: 'agent', FSBUS_BROKER_PASSWORD: 'pw' } }).broker.user, 'agent');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_USER: 'agent', MOD_EVENT_AGENT_PASSWORD: 'pw' } }).broker.user, 'agent');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_PASSWORD: 'pw' } }).secrets.brokerPassword, 'pw');
  // mod_event_agent's empty `<param name="user" value=""/>`: no user.
  assert.equal(loadConfig({ values: { node_id: 'n1', broker: { user: '' } }, env: {} }).broker.user, '');
  // MQTT's CONNECT may carry a user name alone (ACLs by name).
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'mqtt', FSBUS_BROKER_USER: 'agent' } }).broker.user, 'agent');
});

void test('fsbus agent with FSBUS_BROKER_USER and no password exits 78 before connecting', async () => {
  const agent = spawnAgent({ FSBUS_BROKER_URL: 'nats://127.0.0.1:1', FSBUS_BROKER_USER: 'agent', FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'user-only' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /^fsbus agent: invalid config: FSBUS_BROKER_PASSWORD: /);
});

// The other way on MQTT: mqtt.js writes a password only beside a user name, so a token or password
// alone failed every connect as "connection closed" (exit 1, restarted for ever): refused at load.
void test('mqtt: a token or password without broker.user is refused at load, naming it', () => {
  for (const [env, field, what] of [
    [{ FSBUS_BROKER_TOKEN: 't0k' }, 'FSBUS_BROKER_TOKEN', 'token (sent as the password)'],
    [{ MOD_EVENT_AGENT_PASSWORD: 'pw' }, 'MOD_EVENT_AGENT_PASSWORD', 'password'],
  ] as const) {
    const { field: got, message } = refusedField(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'mqtt', ...env } }));
    assert.equal(got, field, message);
    assert.match(message, new RegExp(`is set and broker\\.user is not: on MQTT a ${what.replace(/[()]/g, '\\$&')} needs a user name`));
  }
  assert.equal(refusedField(() => loadConfig({ values: { node_id: 'n1', driver: 'mqtt', broker: { token: 't' } }, env: {} })).field, 'broker.token');
  // With a user name it is the password, as before; other drivers take a password alone (Redis's requirepass).
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'mqtt', FSBUS_BROKER_USER: 'agent', FSBUS_BROKER_TOKEN: 't' } }).broker.user, 'agent');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'redis', FSBUS_BROKER_PASSWORD: 'pw' } }).secrets.brokerPassword, 'pw');
});
