// A publish made while the command connection dies — Redis closed its socket, ioredis has not said
// 'close' yet (≈15 ms under load) — was refused by ioredis ("Stream isn't writeable and
// enableOfflineQueue options is false") and dropped, though it never reached the socket. It now
// waits in the outbox, in order, and goes after the reconnect like any publish made while Redis is
// away. Real redis-server: CLIENT KILL closes the driver's command connection, and the publishes
// are made on its socket's 'finish' (write side shut after Redis's FIN, 'close' not yet emitted):
// inside that window every time.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { createDriver, type DriverOptions, type DriverStatus, type PublishOutcome } from '@fsbus/transport';
import { startRedis } from '@fsbus/testkit';
import { RedisDriver } from '../src/drivers/redis/redis-driver.js';
import { Collector, dec, enc, within } from './conformance/helpers.js';

const SUBJECT = 'dying.ev';
const COUNT = 20;

/** The `CLIENT LIST` entry (id, client port) of the connection named `name` whose last command was `cmd`. */
function clientOf(list: string, name: string, cmd: string): { id: string; port: number } {
  for (const line of list.split('\n')) {
    const f = new Map(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
    if (f.get('name') === name && f.get('cmd') === cmd) return { id: f.get('id')!, port: Number(f.get('addr')!.split(':').pop()) };
  }
  throw new Error(`no client ${name} with cmd=${cmd} in:\n${list}`);
}

/** Every client socket opened from now on, so that a driver's command connection can be found and killed. */
function watchSockets(): { commandConnection(admin: Redis, name: string): Promise<{ id: string; socket: Socket }>; stop(): void } {
  const sockets: Socket[] = [];
  const onSocket = (message: unknown): void => void sockets.push((message as { socket: Socket }).socket);
  subscribe('net.client.socket', onSocket);
  return {
    // flush() ends with a PING: the command connection is the one whose last command that was.
    async commandConnection(admin, name) {
      const cmd = clientOf(String(await admin.client('LIST')), name, 'ping');
      const socket = sockets.find((s) => s.localPort === cmd.port);
      assert.ok(socket !== undefined, 'the command connection socket');
      return { id: cmd.id, socket };
    },
    stop: () => unsubscribe('net.client.socket', onSocket),
  };
}

void test('redis: publishes made while the connection dies, before ioredis sees it, wait in the outbox and arrive once after the reconnect', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  const watch = watchSockets();
  const pub = await createDriver('redis', { urls: [redis.url], name: 'dying-pub' });
  const sub = await createDriver('redis', { urls: [redis.url], name: 'dying-sub' });
  const admin = new Redis(redis.port, '127.0.0.1');
  try {
    const statuses: DriverStatus[] = [];
    pub.on((e) => void (e.type === 'status' && statuses.push(e.status)));
    await Promise.all([pub.connect(), sub.connect()]);
    const got = new Collector<string>();
    sub.subscribe(SUBJECT, (m) => got.push(dec(m.data)));
    await sub.flush();
    pub.publish(SUBJECT, enc('warm'));
    await pub.flush();
    await got.until(1);
    const { id, socket } = await watch.commandConnection(admin, 'dying-pub');

    // Set before the kill: the reconnect may come before the test looks.
    const back = new Promise<void>((resolve) => {
      const off = pub.on((e) => {
        if (e.type === 'status' && e.status === 'connected' && statuses.includes('reconnecting')) {
          off();
          resolve();
        }
      });
    });
    const outcomes: PublishOutcome[] = [];
    /** How the flush made in the dying window ended: settled at once, it may come before the KILL's own reply. */
    let flushed: Promise<unknown> | undefined;
    const published = new Promise<DriverStatus>((resolve) => {
      socket.once('finish', () => {
        // Not writable any more; ioredis still 'ready' (its 'close' handler has not run).
        for (let i = 0; i < COUNT; i++) outcomes.push(pub.publish(SUBJECT, enc(`e${i}`)));
        // Its flush of what is held meets the dying connection too: they stay held.
        flushed = pub.flush().then(
          () => 'resolved',
          (err: unknown) => err,
        );
        resolve(pub.status);
      });
    });
    await admin.client('KILL', 'ID', id);
    const statusThen = await within(published, 15_000, "the killed connection's socket never finished");
    assert.equal(statusThen, 'connected', 'published before the driver saw the connection go');
    assert.equal(((await flushed!) as { code?: string }).code, 'FSBUS_ERR_TRANSPORT_DISCONNECTED', 'the flush made in the dying window rejects');
    await within(back, 30_000, 'the driver never reconnected');
    // A marker after them: a copy of any would arrive before it (one connection, in order).
    pub.publish(SUBJECT, enc('end'));
    await pub.flush();
    const expected = ['warm', ...Array.from({ length: COUNT }, (_, i) => `e${i}`), 'end'];
    await got.until(expected.length).catch(() => undefined);
    assert.deepEqual(got.items, expected, `outcomes: ${outcomes.join(',')}`);
    assert.deepEqual(outcomes, Array<PublishOutcome>(COUNT).fill('buffered'));
    assert.equal(pub.stats().dropped, 0);
  } finally {
    watch.stop();
    admin.disconnect();
    await pub.close();
    await sub.close();
    await redis.stop();
  }
});

/** Counts, while `dying` is set, the write window's settles (releaseHeld) and the outbox's drains (takeLive). */
class CountingRedis extends RedisDriver {
  dying = false;
  settles = 0;
  drains = 0;

  constructor(options: DriverOptions) {
    super(options);
    const takeLive = this.outbox.takeLive.bind(this.outbox);
    this.outbox.takeLive = (now?: number) => {
      if (this.dying) this.drains++;
      return takeLive(now);
    };
  }

  protected override releaseHeld(): void {
    if (this.dying) this.settles++;
    super.releaseHeld();
  }
}

// While the connection dies with the write window full, each reply Redis still sends settles a
// publish and asks for what the outbox holds: that must not take the outbox apart and put it back
// each time (10 000 held × hundreds of replies was one long stall of the event loop). Here the
// driver's own end of the socket is shut (writable no more, ioredis still 'ready') right after the
// window filled: every reply to what was written arrives after that, before the socket's 'close'.
void test('redis: replies settling while the connection dies leave the held outbox alone; it goes, in order, after the reconnect', { timeout: 60_000 }, async () => {
  const PAYLOAD = 16 * 1024;
  const TOTAL = 100;
  const redis = await startRedis();
  const watch = watchSockets();
  // A 1 MiB window: about 64 of the 16 KiB publishes are written, the rest held.
  const pub = new CountingRedis({ urls: [redis.url], name: 'settling-pub', bufferBytes: 1024 * 1024 });
  const sub = await createDriver('redis', { urls: [redis.url], name: 'settling-sub' });
  const admin = new Redis(redis.port, '127.0.0.1');
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    const got = new Collector<string>();
    sub.subscribe(SUBJECT, (m) => got.push(dec(m.data).split('|')[0]!));
    await sub.flush();
    pub.publish(SUBJECT, enc('warm'));
    await pub.flush();
    await got.until(1);
    const { socket } = await watch.commandConnection(admin, 'settling-pub');

    let reconnecting = false;
    const back = new Promise<void>((resolve) => {
      const off = pub.on((e) => {
        if (e.type !== 'status') return;
        if (e.status === 'reconnecting') {
          pub.dying = false;
          reconnecting = true;
        } else if (e.status === 'connected' && reconnecting) {
          off();
          resolve();
        }
      });
    });
    const outcomes: PublishOutcome[] = [];
    for (let i = 0; i < TOTAL; i++) outcomes.push(pub.publish(SUBJECT, enc(`e${i}|`.padEnd(PAYLOAD, '.'))));
    assert.ok(outcomes.includes('sent') && outcomes.includes('buffered'), `the window filled and held the rest: ${outcomes.join(',')}`);
    pub.dying = true;
    socket.end();
    await within(back, 30_000, 'the driver never reconnected');
    assert.ok(pub.settles > 0, 'replies settled while the connection was dying');
    assert.equal(pub.drains, 0, `the outbox was taken apart ${pub.drains} times by ${pub.settles} settles while the connection was dying`);

    pub.publish(SUBJECT, enc('end'));
    await pub.flush();
    const expected = ['warm', ...Array.from({ length: TOTAL }, (_, i) => `e${i}`), 'end'];
    await got.until(expected.length).catch(() => undefined);
    assert.deepEqual(got.items, expected);
    assert.equal(pub.stats().dropped, 0);
  } finally {
    watch.stop();
    admin.disconnect();
    await pub.close();
    await sub.close();
    await redis.stop();
  }
});
