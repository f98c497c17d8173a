// The AMQP driver when the connection drops between the handshake and the channel's opening: at
// connect() and on every reconnect. A proxy in front of a real RabbitMQ cuts the connection the
// moment the client's channel.open frame goes through it, for as many connections as it is told.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type DriverEvent } from '@fsbus/transport';

/** AMQP 0-9-1: frame type 1 (method), class 20 (channel), method 10 (open). */
const METHOD_FRAME = 1;
const CHANNEL_OPEN = { classId: 20, methodId: 10 };
const PROTOCOL_HEADER_BYTES = 8;
/** type (1) + channel (2) + size (4) before the payload, frame-end (1) after it. */
const FRAME_OVERHEAD = 8;

interface CuttingProxy {
  url: string;
  /** Connections whose channel.open is still to be cut. */
  cutsLeft: number;
  /** channel.open frames cut so far. */
  cut: number;
  /** Drops every connection now (the broker "goes away" for the driver). */
  dropAll(): void;
  close(): Promise<void>;
}

/** Reads the client's frames as they pass; `onChannelOpen` decides whether to cut there. */
function frameWatcher(onChannelOpen: () => boolean) {
  let pending = Buffer.alloc(0);
  let headerSeen = false;
  return (chunk: Buffer): boolean => {
    pending = Buffer.concat([pending, chunk]);
    if (!headerSeen) {
      if (pending.length < PROTOCOL_HEADER_BYTES) return false;
      pending = pending.subarray(PROTOCOL_HEADER_BYTES);
      headerSeen = true;
    }
    while (pending.length >= FRAME_OVERHEAD) {
      const type = pending.readUInt8(0);
      const size = pending.readUInt32BE(3);
      if (pending.length < size + FRAME_OVERHEAD) return false;
      const payload = pending.subarray(7, 7 + size);
      pending = pending.subarray(size + FRAME_OVERHEAD);
      const channelOpen = type === METHOD_FRAME && size >= 4 && payload.readUInt16BE(0) === CHANNEL_OPEN.classId && payload.readUInt16BE(2) === CHANNEL_OPEN.methodId;
      if (channelOpen && onChannelOpen()) return true;
    }
    return false;
  };
}

async function cuttingProxy(target: number): Promise<CuttingProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const proxy: CuttingProxy = {
    url: '',
    cutsLeft: 0,
    cut: 0,
    dropAll() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
    },
    close: () => {
      proxy.dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    const cutHere = frameWatcher(() => {
      if (proxy.cutsLeft <= 0) return false;
      proxy.cutsLeft--;
      proxy.cut++;
      return true;
    });
    client.on('data', (chunk: Buffer) => {
      // The frame is not passed on: the broker never opens that channel.
      if (cutHere(chunk)) end();
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  proxy.url = `amqp://guest:guest@127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

let rabbit: RabbitMqHandle;
before(async () => {
  rabbit = await startRabbitMq();
});
after(() => rabbit.stop());

void test('amqp: the connection cut while its channel opens fails connect(), typed, and the process lives', async () => {
  const proxy = await cuttingProxy(rabbit.port);
  const d = await createDriver('amqp', { urls: [proxy.url], connectTimeoutMs: 5000 });
  try {
    proxy.cutsLeft = 1;
    await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
    assert.equal(proxy.cut, 1);
  } finally {
    await d.close();
    await proxy.close();
  }
});

void test('amqp: reconnects whose channel opening is cut are retried until one opens; then it works again', async () => {
  const proxy = await cuttingProxy(rabbit.port);
  let d: Driver | undefined;
  try {
    d = await createDriver('amqp', { urls: [proxy.url], connectTimeoutMs: 5000 });
    await d.connect();
    const statuses: string[] = [];
    let onConnected: (() => void) | undefined;
    d.on((e: DriverEvent) => {
      if (e.type !== 'status') return;
      statuses.push(e.status);
      if (e.status === 'connected') onConnected?.();
    });
    const back = new Promise<void>((resolve) => (onConnected = resolve));
    proxy.cutsLeft = 2;
    proxy.dropAll();
    await back;
    assert.equal(proxy.cut, 2);
    assert.deepEqual(statuses, ['reconnecting', 'connected']);
    const got = new Promise<string>((resolve) => d!.subscribe('after.cut', (m) => resolve(new TextDecoder().decode(m.data))));
    await d.flush();
    d.publish('after.cut', new TextEncoder().encode('still here'));
    assert.equal(await got, 'still here');
  } finally {
    await d?.close();
    await proxy.close();
  }
});
