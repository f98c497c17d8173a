/**
 * TLS on the real brokers: RabbitMQ, Redis, Mosquitto and Kafka each get a TLS listener with a
 * throwaway certificate; two drivers talk over it (a lane with request/reply, an event with a
 * wildcard subscriber) trusting that certificate as their CA, and a driver trusting another CA
 * is refused with the typed connect error instead of hanging.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { makeTestCertificate, startKafka, startMosquitto, startRabbitMq, startRedis, type TestCertificate } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type InboundMessage } from '@fsbus/transport';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

interface TlsBroker {
  readonly tlsUrl?: string | undefined;
  stop(): Promise<void>;
}

const brokers: Array<{ driver: string; start: (tls: { certFile: string; keyFile: string }) => Promise<TlsBroker> }> = [
  { driver: 'redis', start: (tls) => startRedis({ tls }) },
  { driver: 'mqtt', start: (tls) => startMosquitto({ tls }) },
  { driver: 'amqp', start: (tls) => startRabbitMq({ tls }) },
  { driver: 'kafka', start: (tls) => startKafka({ tls }) },
];

for (const { driver, start } of brokers) {
  void describe(`${driver} over TLS`, () => {
    let cert: TestCertificate;
    let otherCa: TestCertificate;
    let broker: TlsBroker;
    before(async () => {
      cert = await makeTestCertificate();
      otherCa = await makeTestCertificate();
      broker = await start(cert);
    });
    after(async () => {
      await broker?.stop();
      await cert?.remove();
      await otherCa?.remove();
    });

    void test(`${driver}: request/reply and events over TLS, the CA from a file`, async () => {
      const url = broker.tlsUrl!;
      assert.match(url, /^(rediss|mqtts|amqps|kafka\+ssl):\/\/127\.0\.0\.1:\d+$/);
      const server = await createDriver(driver, { urls: [url], tls: { caFile: cert.certFile }, connectTimeoutMs: 10_000 });
      const client = await createDriver(driver, { urls: [url], tls: { caFile: cert.certFile }, connectTimeoutMs: 10_000 });
      try {
        await server.connect();
        await client.connect();
        const lane = server.serve({ subject: 'tls.api', competing: true }, (req) => enc(`tls:${dec(req.data)}`));
        const seen: InboundMessage[] = [];
        let arrived!: () => void;
        const gotEvent = new Promise<void>((resolve) => (arrived = resolve));
        const sub = client.subscribe('tls.events.>', (m) => {
          seen.push(m);
          arrived();
        });
        await server.flush();
        await client.flush();
        const reply = await client.request('tls.api', enc('status'), { timeoutMs: 10_000 });
        assert.equal(dec(reply.data), 'tls:status');
        assert.equal(server.publish('tls.events.heartbeat', enc('{"event_name":"HEARTBEAT"}')), 'sent');
        await gotEvent;
        assert.equal(seen[0]?.subject, 'tls.events.heartbeat');
        await sub.unsubscribe();
        await lane.unsubscribe();
      } finally {
        await client.close();
        await server.close();
      }
    });

    void test(`${driver}: a server certificate from another CA is refused, typed`, async () => {
      const d = await createDriver(driver, { urls: [broker.tlsUrl!], tls: { caFile: otherCa.certFile }, connectTimeoutMs: 3000 });
      await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
      await d.close();
    });
  });
}
