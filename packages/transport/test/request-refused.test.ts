// A request the broker refuses to take fails at once with the broker's reason, instead of waiting
// out its timeout: Redis out of memory (maxmemory reached, noeviction), an MQTT topic the ACL does
// not let the client publish to (PUBACK "not authorized"). Real brokers.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { createDriver } from '@fsbus/transport';
import { startMosquitto, startRedis } from '@fsbus/testkit';

const enc = (s: string) => new TextEncoder().encode(s);
/** Long enough that waiting it out would fail the test's own bound. */
const LONG = 600_000;

void test('redis: a request Redis refuses (out of memory) fails at once with FSBUS_ERR_TRANSPORT_BROKER', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  const server = await createDriver('redis', { urls: [redis.url], name: 'refused-server' });
  const client = await createDriver('redis', { urls: [redis.url], name: 'refused-client' });
  const admin = new Redis(Number(new URL(redis.url).port), '127.0.0.1');
  try {
    await server.connect();
    await client.connect();
    server.serve({ subject: 'freeswitch.api', competing: true }, () => enc('done'));
    await server.flush();
    assert.equal(new TextDecoder().decode((await client.request('freeswitch.api', enc('x'), { timeoutMs: 10_000 })).data), 'done');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    await assert.rejects(client.request('freeswitch.api', enc('y'), { timeoutMs: LONG }), { code: 'FSBUS_ERR_TRANSPORT_BROKER', message: /failed at the broker: .*OOM/ });
    assert.equal(client.stats().dropped, 1);
  } finally {
    await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
    admin.disconnect();
    await client.close();
    await server.close();
    await redis.stop();
  }
});

void test('mqtt: a request to a topic the ACL forbids (PUBACK not authorised) fails at once with FSBUS_ERR_TRANSPORT_BROKER', { timeout: 60_000 }, async () => {
  const mosquitto = await startMosquitto({ acl: ['pattern readwrite freeswitch/reply/#', 'topic readwrite freeswitch/api', 'topic read freeswitch/node/#'] });
  const server = await createDriver('mqtt', { urls: [mosquitto.url], name: 'refused-server' });
  const client = await createDriver('mqtt', { urls: [mosquitto.url], name: 'refused-client' });
  try {
    await server.connect();
    await client.connect();
    server.serve({ subject: 'freeswitch.api', competing: true }, () => enc('done'));
    server.serve({ subject: 'freeswitch.node.n1', competing: false }, () => enc('done'));
    await server.flush();
    assert.equal(new TextDecoder().decode((await client.request('freeswitch.api', enc('x'), { timeoutMs: 10_000 })).data), 'done');
    // mosquitto answers PUBACK 0x87 and keeps the connection: the driver neither reconnects nor fails anything else.
    await assert.rejects(client.request('freeswitch.node.n1', enc('y'), { timeoutMs: LONG }), { code: 'FSBUS_ERR_TRANSPORT_BROKER', message: /^request to freeswitch\.node\.n1 failed at the broker: .*Not authorized/ });
    await assert.rejects(client.gather('freeswitch.node.n1', enc('z'), { timeoutMs: LONG }), { code: 'FSBUS_ERR_TRANSPORT_BROKER', message: /Not authorized/ });
    assert.equal(client.status, 'connected');
    assert.equal(client.stats().reconnects, 0);
    assert.equal(new TextDecoder().decode((await client.request('freeswitch.api', enc('after'), { timeoutMs: 10_000 })).data), 'done');
  } finally {
    await client.close();
    await server.close();
    await mosquitto.stop();
  }
});
