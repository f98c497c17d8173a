// `fsbus web --event-stall <s>`: how long a node's FreeSWITCH may send no event before its card
// says events stalled (the dashboard's eventStallMs); 0 turns the watch off.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { runMain as run } from './support/run-main.js';
import { webOptions } from '../src/commands/web.js';

test('fsbus web --event-stall sets the stall bound in seconds (0 = off); a bad value is a usage error', async () => {
  const stall = (argv: string[]): number | undefined => {
    const o = webOptions(['--server', 'nats://127.0.0.1:4222', ...argv], {});
    assert.notEqual(o, 'help');
    return o === 'help' ? undefined : o.eventStallMs;
  };
  assert.equal(stall([]), undefined, 'the dashboard default (50 s) applies');
  assert.equal(stall(['--event-stall', '120']), 120_000);
  assert.equal(stall(['--event-stall', '0']), 0);
  const bad = await run(['web', '--event-stall', '2.5']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--event-stall must be a whole number of seconds/);
  assert.match((await run(['web', '--help'])).out, /--event-stall <s>/);
});
