// A value the agent refuses says what it accepts: a true/false setting given `disabled` used to
// say only "Invalid input".
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { loadConfig } from '@fsbus/agent';

const BOOL_VALUES = 'expected true or false (also 1/0, yes/no, on/off)';

void test('a true/false setting given another word names the accepted values, from the env or the file', () => {
  for (const [env, name] of [
    [{ FSBUS_METRICS: 'disabled' }, 'FSBUS_METRICS'],
    [{ FSBUS_EVENTS_STREAM: 'maybe' }, 'FSBUS_EVENTS_STREAM'],
  ] as const) {
    assert.throws(() => loadConfig({ env }), { message: `invalid config: ${name}: ${BOOL_VALUES}` });
  }
  assert.throws(() => loadConfig({ values: { metrics: { enabled: 'disabled' } }, env: {} }), { message: `invalid config: metrics.enabled: ${BOOL_VALUES}` });
});

void test('the other settings of a fixed set already name their values', () => {
  assert.throws(() => loadConfig({ env: { FSBUS_LOG_LEVEL: 'verbose' } }), /FSBUS_LOG_LEVEL: .*"fatal"\|"error"\|"warn"\|"info"\|"debug"\|"trace"\|"silent"/);
  assert.throws(() => loadConfig({ env: { FSBUS_DRIVER: 'foo' } }), /FSBUS_DRIVER: unknown driver \(known: nats, /);
});
