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

void test('a durable stream the driver cannot keep fails at load, naming the config field (or its env var)', () => {
  const refused = (field: string, message: RegExp) => (err: unknown) =>
    err instanceof ConfigError && err.code === AgentErrorCode.CONFIG && err.field === field && message.test(err.message);
  const stream = (driver: string, s: Record<string, unknown>) => () => loadConfig({ values: { node_id: 'n1', driver, events: { stream: { enabled: true, ...s } } }, env: {} });
  assert.throws(stream('mqtt', {}), refused('events.stream.enabled', /the mqtt driver has no durable streams/));
  assert.throws(stream('zmq', {}), refused('events.stream.enabled', /the zmq driver has no durable streams/));
  assert.throws(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'mqtt', FSBUS_EVENTS_STREAM: 'true' } }), refused('FSBUS_EVENTS_STREAM', /no durable streams/));
  assert.throws(stream('redis', { max_bytes: 1_000_000 }), refused('events.stream.max_bytes', /cannot be capped by size: use events\.stream\.max_messages or max_age_ms/));
  assert.throws(stream('amqp', { max_messages: 1000 }), refused('events.stream.max_messages', /cannot be capped by count: use events\.stream\.max_bytes or max_age_ms/));
  assert.throws(stream('kafka', { max_messages: 1000 }), refused('events.stream.max_messages', /a kafka stream cannot be capped by count/));
  // What each can keep loads; a stream that is off is not checked.
  for (const [driver, s] of [['nats', { max_messages: 1, max_bytes: 1 }], ['redis', { max_messages: 1 }], ['amqp', { max_bytes: 1 }], ['kafka', { max_bytes: 1 }]] as const) {
    assert.equal(stream(driver, s)().events.stream.enabled, true);
  }
  assert.equal(loadConfig({ values: { node_id: 'n1', driver: 'mqtt', events: { stream: { max_bytes: 1 } } }, env: {} }).driver, 'mqtt');
});
