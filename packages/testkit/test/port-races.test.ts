import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import { makeTestCertificate, startMosquitto, startNatsServer, startRabbitMq, startRedis, waitForGreeting } from '@fsbus/testkit';
import { plantPorts } from '../src/free-port.js';

/**
 * Listeners on `n` ports, handed to the next `n` picks of freePort(): as if another process took
 * each port between the pick and the broker binding it. They accept and never answer.
 */
async function takenPorts(n: number): Promise<{ ports: number[]; close(): Promise<void> }> {
  const servers: Server[] = [];
  for (let i = 0; i < n; i++) {
    const server = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  plantPorts(...ports);
  return { ports, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))).then(() => undefined) };
}

const portOf = (url: string | undefined) => Number(/:(\d+)$/.exec(url ?? '')?.[1]);

void test('nats-server: a picked port someone took first is picked again (restart still keeps the new one)', async () => {
  const taken = await takenPorts(1);
  try {
    const nats = await startNatsServer();
    try {
      assert.ok(!taken.ports.includes(nats.port));
      assert.match(await waitForGreeting('127.0.0.1', nats.port, 5000), /^INFO /);
      const port = nats.port;
      await nats.restart();
      assert.equal(nats.port, port);
    } finally {
      await nats.stop();
    }
  } finally {
    await taken.close();
  }
});

void test('redis-server and mosquitto: a retry picks the TLS port anew too', async () => {
  const tls = await makeTestCertificate();
  try {
    for (const start of [() => startRedis({ tls }), () => startMosquitto({ tls })]) {
      const taken = await takenPorts(2); // the client port and the TLS port of the first try
      try {
        const broker = await start();
        try {
          assert.ok(!taken.ports.includes(broker.port));
          assert.ok(!taken.ports.includes(portOf(broker.tlsUrl)), String(broker.tlsUrl));
        } finally {
          await broker.stop();
        }
      } finally {
        await taken.close();
      }
    }
  } finally {
    await tls.remove();
  }
});

void test('rabbitmq-server: a retry picks its AMQP, epmd, distribution and TLS ports anew; an epmd that lost its port is no ready epmd', async () => {
  const tls = await makeTestCertificate();
  const taken = await takenPorts(4);
  try {
    const rabbit = await startRabbitMq({ tls, startTimeoutMs: 60_000 });
    try {
      assert.ok(!taken.ports.includes(rabbit.port));
      assert.ok(!taken.ports.includes(portOf(rabbit.tlsUrl)), String(rabbit.tlsUrl));
    } finally {
      await rabbit.stop();
    }
  } finally {
    await taken.close();
    await tls.remove();
  }
});
