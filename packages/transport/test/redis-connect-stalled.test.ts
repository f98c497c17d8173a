// A Redis that accepts the connection and never answers (a proxy or load balancer that accepts and
// stalls, a broker stopped with SIGSTOP): ioredis bounds only the TCP connect by `connectTimeout`,
// and its ready check waits for INFO's answer for ever, so connect() hung past connectTimeoutMs
// (still waiting after 15 s: a CLI's `--timeout 500`, an agent's start, waited as long).
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver } from '@fsbus/transport';
import { within } from './conformance/helpers.js';
import { silentBroker } from './support/silent-broker.js';

/** Live timers and client sockets of the process (a cleared timer, a closed socket, leave the list at once). */
function running(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').sort();
}

void test('redis: connect() to a server that accepts and never answers rejects at connectTimeoutMs and leaves nothing running', { timeout: 30_000 }, async () => {
  const broker = await silentBroker();
  try {
    const before = running();
    const driver = await createDriver('redis', { urls: [`redis://${broker.url}`], connectTimeoutMs: 300 });
    await within(
      assert.rejects(driver.connect(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'FSBUS_ERR_TRANSPORT_CONNECT', err.message);
        assert.match(err.message, /^cannot connect to Redis \(redis:\/\/127\.0\.0\.1:\d+\): timeout: no answer within 300 ms$/);
        return true;
      }),
      10_000,
      'connect() still waiting on a server that never answers',
    );
    // Its connections (commands, Pub/Sub) were accepted; none stays open, none is dialled again.
    const dialled = broker.accepted;
    assert.ok(dialled >= 1);
    await within(broker.idle(), 5_000, 'a connection to the silent server is still open after connect() rejected');
    assert.deepEqual(running(), before, 'a timer or socket outlived the rejected connect()');
    assert.equal(broker.accepted, dialled, 'a connection was dialled again after connect() rejected');
    await driver.close();
  } finally {
    await broker.stop();
  }
});

void test('redis: connect() to a port nothing listens on still fails at once with the refusal, and leaves nothing running', { timeout: 30_000 }, async () => {
  // A port just freed: nothing listens there.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const before = running();
  const driver = await createDriver('redis', { urls: [`redis://127.0.0.1:${port}`], connectTimeoutMs: 10_000 });
  await within(
    assert.rejects(driver.connect(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'FSBUS_ERR_TRANSPORT_CONNECT', err.message);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    }),
    5_000,
    'a refused connect() waited',
  );
  assert.deepEqual(running(), before, 'a timer or socket outlived the refused connect()');
  await driver.close();
});
