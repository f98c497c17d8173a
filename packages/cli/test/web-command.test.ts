// `fsbus web` argument handling (the server itself is covered by the other tests).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { runMain as run } from './support/run-main.js';

test('fsbus web --help, bad flags, and the loopback-only default', async () => {
  const help = await run(['web', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: fsbus web/);
  assert.match(help.out, /FSBUS_WEB_TOKEN/);
  assert.equal((await run(['web', '--port', 'eighty'])).code, 2);
  assert.equal((await run(['web', '--poll', '5'])).code, 2);
  const open = await run(['web', '--port', '0', '--host', '0.0.0.0', '--server', 'nats://127.0.0.1:1']);
  assert.equal(open.code, 1);
  assert.match(open.err, /FSBUS_ERR_WEB_INSECURE_BIND/);
});
