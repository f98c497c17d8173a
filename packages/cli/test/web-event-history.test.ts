// `fsbus web --event-history <n>`: the server's global event history (the event list's source,
// the `eventHistory` of embedding), validated as the other sizes.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { runMain as run } from './support/run-main.js';
import { webOptions } from '../src/commands/web.js';

test('fsbus web --event-history sets the events the server keeps; a bad value is a usage error', async () => {
  const history = (argv: string[]): number | undefined => {
    const o = webOptions(['--server', 'nats://127.0.0.1:4222', ...argv], {});
    assert.notEqual(o, 'help');
    return o === 'help' ? undefined : o.eventHistory;
  };
  assert.equal(history([]), undefined, 'the dashboard default (2000) applies');
  assert.equal(history(['--event-history', '20000']), 20000);
  const bad = await run(['web', '--event-history', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--event-history must be a whole number of at least 1/);
  assert.match((await run(['web', '--help'])).out, /--event-history <n>/);
});
