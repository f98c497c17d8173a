import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { startNatsServer, waitForGreeting } from '@fsbus/testkit';

void test('starts nats-server on a free port, restarts on the same port, stops and cleans up', async () => {
  const server = await startNatsServer({ jetstream: true });
  try {
    assert.ok(server.port > 0);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const info = await waitForGreeting('127.0.0.1', server.port, 5000);
    assert.match(info, /^INFO .*"jetstream":true/);
    const port = server.port;
    await server.restart();
    assert.equal(server.port, port);
    assert.match(await waitForGreeting('127.0.0.1', port, 5000), /^INFO /);
  } finally {
    await server.stop();
  }
  assert.ok(server.storeDir !== undefined && !existsSync(server.storeDir));
  await assert.rejects(waitForGreeting('127.0.0.1', server.port, 5000));
});
