// `log_level: INFO` was refused while `driver: NATS` was taken: the level is taken in any case.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { loadConfig } from '../src/config/load-config.js';

void test('log_level in any case, from the file or FSBUS_LOG_LEVEL', () => {
  assert.equal(loadConfig({ values: { node_id: 'n1', log_level: 'INFO' }, env: {} }).log_level, 'info');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_LOG_LEVEL: 'Debug' } }).log_level, 'debug');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1' } }).log_level, 'info');
  // An unknown level still names the known ones.
  assert.throws(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_LOG_LEVEL: 'VERBOSE' } }), /FSBUS_LOG_LEVEL: .*"fatal"\|"error"\|"warn"\|"info"\|"debug"\|"trace"\|"silent"/);
});
