import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Buffer } from 'node:buffer';
import { probeProtocol, startMosquitto, startRabbitMq, startRedis, type BrokerHandle } from '@fsbus/testkit';

const PING = Buffer.from('PING\r\n');
const MQTT_CONNECT = Uint8Array.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);
const AMQP_HEADER = Uint8Array.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/** Starts, answers its protocol, restarts on the same port, stops for good (port refused after). */
async function lifecycle(broker: BrokerHandle, scheme: string, hello: Uint8Array, answer: (b: Buffer) => boolean): Promise<void> {
  try {
    assert.ok(broker.port > 0);
    assert.equal(broker.url, `${scheme}://127.0.0.1:${broker.port}`);
    assert.ok(answer(await probeProtocol('127.0.0.1', broker.port, hello, 5000)));
    const port = broker.port;
    await broker.restart();
    assert.equal(broker.port, port);
    assert.ok(answer(await probeProtocol('127.0.0.1', port, hello, 5000)));
  } finally {
    await broker.stop();
  }
  await assert.rejects(probeProtocol('127.0.0.1', broker.port, hello, 5000));
}

void test('redis-server: free port, readiness by PING, restart on the same port, stop', async () => {
  await lifecycle(await startRedis(), 'redis', PING, (b) => b.toString().startsWith('+PONG'));
});

void test('mosquitto: free port, readiness by CONNACK, restart on the same port, stop', async () => {
  await lifecycle(await startMosquitto(), 'mqtt', MQTT_CONNECT, (b) => b[0] === 0x20);
});

void test('rabbitmq-server: free ports, own node, readiness by connection.start, restart, stop', async () => {
  const rabbit = await startRabbitMq();
  assert.match(rabbit.nodeName, /^fsbus-[0-9a-f]{8}@localhost$/);
  await lifecycle(rabbit, 'amqp', AMQP_HEADER, (b) => b[0] === 1);
});
