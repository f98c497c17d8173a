// The agent reads mod_event_agent's names for the driver and the subject prefix
// (MOD_EVENT_AGENT_DRIVER, MOD_EVENT_AGENT_SUBJECT_PREFIX) after fsbus's own; the CLI read only
// FSBUS_DRIVER and FSBUS_SUBJECT_PREFIX, so one environment file (a migrant's) sent the CLI to
// another driver or prefix than the agent, silently (known names: no warning either).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { resolveConnection, UsageError } from '../src/bus/global-options.js';

const NO_DEMO = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };

void test('the CLI reads the agent\'s mod_event_agent aliases for the driver and the prefix, its own names first', () => {
  const alias = resolveConnection({}, { ...NO_DEMO, MOD_EVENT_AGENT_DRIVER: 'redis', MOD_EVENT_AGENT_SUBJECT_PREFIX: 'pbx' });
  assert.equal(alias.driver, 'redis');
  assert.equal(alias.prefix, 'pbx');
  const both = resolveConnection({}, { ...NO_DEMO, FSBUS_DRIVER: 'nats', MOD_EVENT_AGENT_DRIVER: 'redis', FSBUS_SUBJECT_PREFIX: 'fs', MOD_EVENT_AGENT_SUBJECT_PREFIX: 'pbx' });
  assert.equal(both.driver, 'nats');
  assert.equal(both.prefix, 'fs');
  // A bad value names the variable it came from.
  assert.throws(() => resolveConnection({}, { ...NO_DEMO, MOD_EVENT_AGENT_DRIVER: 'kafak' }), (e: unknown) => e instanceof UsageError && /^MOD_EVENT_AGENT_DRIVER: unknown driver 'kafak'/.test(e.message));
  assert.throws(() => resolveConnection({}, { ...NO_DEMO, MOD_EVENT_AGENT_SUBJECT_PREFIX: 'a..b' }), (e: unknown) => e instanceof UsageError && /^MOD_EVENT_AGENT_SUBJECT_PREFIX "a\.\.b": /.test(e.message));
});
