// `driver:` in the config file or FSBUS_DRIVER picks the broker; an unknown name fails at start
// with the field named.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AgentErrorCode, ConfigError, loadConfig } from '@fsbus/agent';

void test('driver: amqp, redis and mqtt are accepted from the config and from the environment', () => {
  for (const d of ['amqp', 'redis', 'mqtt', 'nats']) {
    assert.equal(loadConfig({ values: { node_id: 'n1', driver: d }, env: {} }).driver, d);
    assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: d.toUpperCase() } }).driver, d);
    assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', MOD_EVENT_AGENT_DRIVER: d } }).driver, d);
  }
});

void test('an unknown driver fails with the field (or its env var) named', () => {
  const refused = (field: string) => (err: unknown) =>
    err instanceof ConfigError && err.code === AgentErrorCode.CONFIG && err.field === field && /unknown driver/.test(err.message);
  assert.throws(() => loadConfig({ values: { node_id: 'n1', driver: 'carrier-pigeon' }, env: {} }), refused('driver'));
  assert.throws(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'carrier-pigeon' } }), refused('FSBUS_DRIVER'));
});
