// `livenessIntervalMs` on the drivers that check their links themselves besides Kafka's
// (kafka-idle-liveness.test.ts): Redis's PING, ZeroMQ's ZMTP heartbeats, nats.js's pings. A bad
// value is refused by createDriver, before any connection is tried, as Kafka's is; that the value
// changes detection is shown by the dead-link tests, which run with a short one
// (redis-dead-link, zmq-dead-link, nats-frozen-link).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { heartbeats } from '../src/drivers/zmq/zmq-protocol.js';
import { MAX_PINGS_OUT, toNatsOptions } from '../src/nats/nats-options.js';

const URLS: Record<'redis' | 'zmq' | 'nats', string> = { redis: 'redis://127.0.0.1:1', zmq: 'zmq://127.0.0.1:1?events=2', nats: 'nats://127.0.0.1:1' };
const BAD = [0, -1, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY, '5000' as unknown as number];

for (const name of ['redis', 'zmq', 'nats'] as const) {
  void test(`${name}: livenessIntervalMs that is not a number > 0 (at most 2147483647) is refused with FSBUS_ERR_TRANSPORT_INVALID_OPTION`, async () => {
    for (const bad of BAD) {
      await assert.rejects(createDriver(name, { urls: [URLS[name]], livenessIntervalMs: bad }), {
        code: TransportErrorCode.INVALID_OPTION,
        message: `livenessIntervalMs must be a number of milliseconds > 0 and at most 2147483647, not ${String(bad)}`,
      });
    }
    const ok = await createDriver(name, { urls: [URLS[name]], livenessIntervalMs: 250 });
    await ok.close();
  });
}

void test('zmq: heartbeats are the interval, a timeout of two and a TTL of three (sent to the peer), within what libzmq takes', () => {
  // The default is what the sockets had before the option.
  assert.deepEqual(heartbeats(), { heartbeatInterval: 5_000, heartbeatTimeout: 10_000, heartbeatTimeToLive: 15_000 });
  assert.deepEqual(heartbeats(500), { heartbeatInterval: 500, heartbeatTimeout: 1_000, heartbeatTimeToLive: 1_500 });
  // Whole ms; a TTL under a decisecond would be sent as none.
  assert.deepEqual(heartbeats(10.2), { heartbeatInterval: 11, heartbeatTimeout: 22, heartbeatTimeToLive: 100 });
  // libzmq refuses a TTL past 16 bits of deciseconds, and an int option past 2^31 - 1.
  assert.deepEqual(heartbeats(2 ** 31 - 1), { heartbeatInterval: 2 ** 31 - 1, heartbeatTimeout: 2 ** 31 - 1, heartbeatTimeToLive: 6_553_500 });
});

void test('nats: livenessIntervalMs is nats.js pingInterval (default 10000), two pings out', () => {
  const defaults = toNatsOptions({ urls: [URLS.nats] });
  assert.equal(defaults.pingInterval, 10_000);
  assert.equal(defaults.maxPingOut, 2);
  assert.equal(MAX_PINGS_OUT, 2);
  assert.equal(toNatsOptions({ urls: [URLS.nats], livenessIntervalMs: 750 }).pingInterval, 750);
});
