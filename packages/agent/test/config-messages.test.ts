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

// A misspelt key in the file said `(root): Unrecognized key: "metric"`, where a misspelt variable
// got `did you mean`: the key is named by its full path, with the closest known key of its section.
void test('an unknown key in the file is named by its full path, with the closest known key', () => {
  for (const [values, message] of [
    [{ metric: { port: 9465 } }, 'metric: unknown key (did you mean metrics?)'],
    [{ esl: { prot: 8021 } }, 'esl.prot: unknown key (did you mean esl.port?)'],
    [{ broker: { tls: { ca: '/etc/fsbus/ca.pem' } } }, 'broker.tls.ca: unknown key (did you mean broker.tls.ca_file?)'],
    [{ events: { stream: { max_age: 1000 } } }, 'events.stream.max_age: unknown key (did you mean events.stream.max_age_ms?)'],
    // mod_event_agent's param names use `-`, the agent's keys `_`.
    [{ 'node-id': 'n1' }, 'node-id: unknown key (did you mean node_id?)'],
    // Nothing close: no guess.
    [{ dialplan: { gateway: 'x' } }, 'dialplan.gateway: unknown key'],
    [{ esl: { prot: 1, hots: 'h' } }, 'esl.prot: unknown key (did you mean esl.port?); also unknown: esl.hots'],
  ] as const) {
    assert.throws(() => loadConfig({ values: { node_id: 'n1', ...values }, env: {} }), { message: `invalid config: ${message}` }, JSON.stringify(values));
  }
});
