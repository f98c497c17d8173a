// Timeouts, disconnects, closed clients and bad replies: each with its own FSBUS_ERR_CLIENT_* code.
// The "agent" here is a bare lane on a real nats-server that answers as the test needs.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { encodeReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { ClientError, ClientErrorCode, connect, type FsbusClient } from '../src/index.js';
import { statusReached } from './support/status.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

void describe('@fsbus/client failures', () => {
  let nats: NatsServerHandle;
  let lanes: Driver;
  const silent: Array<() => void> = [];
  before(async () => {
    nats = await startNatsServer();
    lanes = await createDriver('nats', { urls: [nats.url], name: 'lanes' });
    await lanes.connect();
    // Never answers (the request is remembered so the test can see it arrived).
    lanes.serve({ subject: 'slow.api', competing: true }, () => {
      silent.push(() => undefined);
      return undefined;
    });
    lanes.serve({ subject: 'junk.api', competing: true }, () => enc('not an envelope'));
    lanes.serve({ subject: 'ok.api', competing: true }, (req) => {
      const body = JSON.parse(new TextDecoder().decode(req.data)) as Record<string, unknown>;
      return encodeReply(successReply({ nodeId: 'stand-in', message: 'ok', data: body }));
    });
    await lanes.flush();
  });
  after(async () => {
    await lanes.close();
    await nats.stop();
  });

  void it('no reply within timeoutMs rejects with FSBUS_ERR_CLIENT_TIMEOUT; the timeout travels as timeout_ms', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'slow', timeoutMs: 300 });
    try {
      const err = await bus.api('status').then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ClientError);
      assert.equal(err.code, ClientErrorCode.TIMEOUT);
      assert.equal(silent.length, 1, 'the request reached the lane');
      const okBus = await connect({ servers: nats.url, prefix: 'ok' });
      const reply = await okBus.request('status', { args: 'x' }, { timeoutMs: 1234, correlationId: 'c-7' });
      assert.deepEqual(reply.data, { command: 'status', args: 'x', timeout_ms: 1234, correlation_id: 'c-7' });
      await okBus.close();
    } finally {
      await bus.close();
    }
  });

  void it('a reply that is not an envelope rejects with FSBUS_ERR_CLIENT_BAD_REPLY', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'junk' });
    try {
      await assert.rejects(bus.api('status'), { code: ClientErrorCode.BAD_REPLY });
    } finally {
      await bus.close();
    }
  });

  void it('a closed client rejects with FSBUS_ERR_CLIENT_CLOSED', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'ok' });
    await bus.close();
    await assert.rejects(bus.api('status'), { code: ClientErrorCode.CLOSED });
    await assert.rejects(bus.gather('status'), { code: ClientErrorCode.CLOSED });
    assert.throws(() => bus.events('channel.>'), { code: ClientErrorCode.CLOSED });
  });

  void it('no broker rejects connect with FSBUS_ERR_CLIENT_CONNECT; an unknown driver with INVALID_ARGUMENT', async () => {
    const other = await startNatsServer();
    const url = other.url;
    await other.stop();
    await assert.rejects(connect({ servers: url, connectTimeoutMs: 2000 }), { code: ClientErrorCode.CONNECT });
    await assert.rejects(connect({ driver: 'carrier-pigeon' }), { code: ClientErrorCode.INVALID_ARGUMENT });
    // No URL: the driver's own default port (was nats's 4222 whatever the driver). Nothing listens
    // on RabbitMQ's port here (scripts/setup keeps the system services down).
    await assert.rejects(connect({ driver: 'amqp', connectTimeoutMs: 2000 }), { code: ClientErrorCode.CONNECT, message: /amqp:\/\/127\.0\.0\.1:5672/ });
    // No driver: the URL's scheme chooses; a URL of another driver than the one named is refused.
    await assert.rejects(connect({ servers: 'amqp://127.0.0.1:1', connectTimeoutMs: 2000 }), { code: ClientErrorCode.CONNECT, message: /RabbitMQ|AMQP/i });
    await assert.rejects(connect({ driver: 'nats', servers: 'amqp://127.0.0.1:1' }), { code: ClientErrorCode.INVALID_ARGUMENT, message: /is a URL of the amqp driver, not of nats/ });
    // A misspelt driver is called unknown, not a mismatch with a URL nobody gave.
    await assert.rejects(connect({ driver: 'kafak' }), { code: ClientErrorCode.INVALID_ARGUMENT, message: /unknown driver 'kafak'/ });
  });

  void it("connect({ url }) works as SPEC names it; an unknown option is refused, not ignored (JavaScript callers)", async () => {
    const viaUrl = await connect({ url: nats.url, prefix: 'ok' });
    try {
      assert.equal(((await viaUrl.request('status', {})).data as { command: string }).command, 'status');
    } finally {
      await viaUrl.close();
    }
    // A misspelt `server` used to connect to the default broker without a word.
    await assert.rejects(connect({ server: nats.url } as unknown as Parameters<typeof connect>[0]), { code: ClientErrorCode.INVALID_ARGUMENT, message: /unknown option 'server'/ });
    await assert.rejects(connect({ servers: nats.url, url: nats.url }), { code: ClientErrorCode.INVALID_ARGUMENT, message: /servers or url, not both/ });
  });

  void it('a broker that goes away fails pending and new requests with FSBUS_ERR_CLIENT_DISCONNECTED', async () => {
    const own = await startNatsServer();
    const serveDriver = await createDriver('nats', { urls: [own.url], name: 'lane' });
    await serveDriver.connect();
    let arrived!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    serveDriver.serve({ subject: 'gone.api', competing: true }, () => {
      arrived();
      return undefined;
    });
    await serveDriver.flush();
    let bus: FsbusClient | undefined;
    try {
      bus = await connect({ servers: own.url, prefix: 'gone', timeoutMs: 60_000 });
      const pending = bus.api('status');
      pending.catch(() => undefined);
      await reached;
      await own.halt();
      await assert.rejects(pending, { code: ClientErrorCode.DISCONNECTED });
      await statusReached(bus.driver, 'reconnecting');
      await assert.rejects(bus.api('status'), { code: ClientErrorCode.DISCONNECTED });
    } finally {
      await bus?.close();
      await serveDriver.close();
      await own.stop();
    }
  });
});
