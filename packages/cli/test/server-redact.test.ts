// A password in --server never reaches the output, whatever it holds (`(`, `'`, `,`): the
// connect error quotes the URL with its user-info masked whole; a `,` cuts the list there, a usage error.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { runMain } from './support/run-main.js';

for (const [server, secret] of [
  ['nats://alice:s3cr(et@127.0.0.1:1', 's3cr'],
  ["nats://alice:it'sMe@127.0.0.1:1", 'it'],
] as const) {
  void test(`fsbus status --server '${server}' prints no part of the password`, async () => {
    const run = await runMain(['status', '--server', server, '--timeout', '300']);
    assert.equal(run.code, 3, run.err);
    assert.match(run.err, /FSBUS_ERR_CLIENT_CONNECT: cannot connect to NATS \(nats:\/\/\*\*\*/);
    assert.ok(!run.err.includes(`:${secret}`) && !run.err.includes('alice'), run.err);
    assert.ok(!run.out.includes('alice'), run.out);
  });
}

void test("fsbus status --server with a ',' in the password: a usage error (the list is cut there), no part of the password printed", async () => {
  const run = await runMain(['status', '--server', 'nats://alice:pa,ss@127.0.0.1:1', '--timeout', '300']);
  assert.equal(run.code, 2, run.err);
  assert.match(run.err, /--server: nats:\/\/\*\*\*: the port is not a number/);
  assert.ok(!run.err.includes(':pa') && !run.err.includes('alice'), run.err);
});
