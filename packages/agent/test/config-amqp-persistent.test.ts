// broker.amqp.persistent_events / FSBUS_AMQP_PERSISTENT_EVENTS: off by default (events transient,
// as before); on, the amqp driver gets `<prefix>.events.>` as its persistent subjects and nothing
// else; with another driver it is refused (ignored, the events it was meant to keep would be lost).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { driverOptions } from '../src/driver-options.js';
import { configRefusal } from './support/config-refusal.js';

const logger = pino({ level: 'silent' });

void test('amqp persistent events: off by default; FSBUS_AMQP_PERSISTENT_EVENTS or the file turn on <prefix>.events.> only', () => {
  const off = loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: 'amqp://127.0.0.1' } });
  assert.equal(off.broker.amqp.persistent_events, false);
  assert.equal(driverOptions(off, off.subject_prefix, logger).persistentSubjects, undefined);

  const env = loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: 'amqp://127.0.0.1', FSBUS_AMQP_PERSISTENT_EVENTS: 'true', FSBUS_SUBJECT_PREFIX: 'pbx' } });
  assert.deepEqual(driverOptions(env, env.subject_prefix, logger).persistentSubjects, ['pbx.events.>']);

  const file = loadConfig({ values: { driver: 'amqp', broker: { amqp: { persistent_events: true } } }, env: { FSBUS_NODE_ID: 'n1' } });
  assert.deepEqual(driverOptions(file, file.subject_prefix, logger).persistentSubjects, ['freeswitch.events.>']);
});

void test('amqp persistent events: refused with another driver, and for a value that is not true or false', () => {
  assert.match(configRefusal(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_AMQP_PERSISTENT_EVENTS: 'on' } })).message, /FSBUS_AMQP_PERSISTENT_EVENTS: is for the amqp driver only \(the driver is nats\)/);
  assert.match(configRefusal(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: 'amqp://127.0.0.1', FSBUS_AMQP_PERSISTENT_EVENTS: '2' } })).message, /FSBUS_AMQP_PERSISTENT_EVENTS: expected true or false/);
  assert.match(configRefusal(() => loadConfig({ values: { broker: { amqp: { persistent_events: true } } }, env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'kafka' } })).message, /broker\.amqp\.persistent_events: is for the amqp driver only \(the driver is kafka\)/);
  // Off says nothing with another driver: a shared env file may carry it.
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'redis', FSBUS_AMQP_PERSISTENT_EVENTS: 'false' } }).broker.amqp.persistent_events, false);
});
