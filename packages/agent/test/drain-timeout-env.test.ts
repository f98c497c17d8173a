// commands.drain_timeout_ms had no environment variable: FSBUS_DRAIN_TIMEOUT_MS was warned about
// as unknown with "did you mean FSBUS_TEST_TIMEOUT_MS?" (a test runner's variable, no business of
// an agent's operator), FSBUS_COMMANDS_DRAIN_TIMEOUT_MS with FSBUS_COMMAND_TIMEOUT_MS. It is now
// read, and the agent suggests only its own variables.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { loadConfig } from '../src/config/load-config.js';
import { unknownEnv } from '../src/config/unknown-env.js';

void test('FSBUS_DRAIN_TIMEOUT_MS sets commands.drain_timeout_ms, and is named when refused', () => {
  assert.equal(loadConfig({ env: { FSBUS_DRAIN_TIMEOUT_MS: '2500' } }).commands.drain_timeout_ms, 2500);
  assert.throws(() => loadConfig({ env: { FSBUS_DRAIN_TIMEOUT_MS: 'soon' } }), /FSBUS_DRAIN_TIMEOUT_MS/);
  assert.deepEqual(unknownEnv({ FSBUS_DRAIN_TIMEOUT_MS: '2500' }), []);
});

void test("misspellings are matched to the agent's own variables only", () => {
  assert.deepEqual(unknownEnv({ FSBUS_COMMANDS_DRAIN_TIMEOUT_MS: '1', FSBUS_DRAIN_TIMEOUT: '1', FSBUS_TEST_TIMEOUT_M: '1', FSBUS_WEB_TOKN: '1' }), [
    { name: 'FSBUS_COMMANDS_DRAIN_TIMEOUT_MS', didYouMean: 'FSBUS_DRAIN_TIMEOUT_MS' },
    { name: 'FSBUS_DRAIN_TIMEOUT', didYouMean: 'FSBUS_DRAIN_TIMEOUT_MS' },
    { name: 'FSBUS_TEST_TIMEOUT_M' },
    { name: 'FSBUS_WEB_TOKN' },
  ]);
  // Still known, not warned about: the other components read them.
  assert.deepEqual(unknownEnv({ FSBUS_TEST_TIMEOUT_MS: '1', FSBUS_WEB_TOKEN: 'x' }), []);
});
