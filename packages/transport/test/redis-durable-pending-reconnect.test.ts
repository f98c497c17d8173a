// Redis durable consumer: an entry XREADGROUP handed to the consumer, whose reply was lost with the
// connection, stays in the group's pending list for this consumer. After the reconnect the reader
// reads its own pending entries first; before, ioredis sent the blocking `XREADGROUP … >` again,
// which only asks for new entries: the lost one was skipped until the process restarted.
// Deterministic: the reader's socket stops reading (paused) while it blocks, an entry is published
// (XPENDING shows it assigned to the consumer), then the connection is killed with its reply unread.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { createDriver } from '@fsbus/transport';
import { startRedis } from '@fsbus/testkit';
import { Collector, dec, enc, within } from './conformance/helpers.js';

const NS = 'pel';
const STREAM = 'PEL';
const DURABLE = 'audit';

/** The `CLIENT LIST` entry (id, client port) of the connection named `name` whose last command was `cmd`. */
function clientOf(list: string, name: string, cmd: string): { id: string; port: number } | undefined {
  for (const line of list.split('\n')) {
    const f = new Map(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
    if (f.get('name') === name && f.get('cmd') === cmd) return { id: f.get('id')!, port: Number(f.get('addr')!.split(':').pop()) };
  }
  return undefined;
}

void test('redis durable: an entry whose XREADGROUP reply was lost with the connection comes after the reconnect, in order, without a restart', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  const sockets: Socket[] = [];
  const onSocket = (message: unknown): void => void sockets.push((message as { socket: Socket }).socket);
  subscribe('net.client.socket', onSocket);
  const pub = await createDriver('redis', { urls: [redis.url], namespace: NS, name: 'pel-pub' });
  const sub = await createDriver('redis', { urls: [redis.url], namespace: NS, name: 'pel-sub' });
  const admin = new Redis(redis.port, '127.0.0.1');
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    await pub.ensureStream({ name: STREAM, subjects: ['pel.>'] });
    const got = new Collector<string>();
    let markerArrived: () => void = () => undefined;
    const marker = new Promise<void>((resolve) => (markerArrived = resolve));
    const subscription = await sub.consumeDurable({ stream: STREAM, durable: DURABLE, from: 'all' }, (m) => {
      got.push(dec(m.data));
      m.ack();
      if (dec(m.data) === 'e3') markerArrived();
    });
    pub.publish('pel.ev', enc('e1'));
    await pub.flush();
    await got.until(1);

    // The reader now blocks in `XREADGROUP … >` (it is the one whose last command that was).
    const key = `${NS}:stream:${STREAM}`;
    let reader: { id: string; port: number } | undefined;
    // e1's reply may still be on its way: the next read is sent once it is handled.
    for (let i = 0; i < 100 && reader === undefined; i++) {
      const list = String(await admin.client('LIST'));
      const blocked = list.split('\n').some((l) => l.includes('name=pel-sub') && l.includes('cmd=xreadgroup') && /flags=\S*b/.test(l));
      if (blocked) reader = clientOf(list, 'pel-sub', 'xreadgroup');
      else await new Promise((r) => setImmediate(r));
    }
    assert.ok(reader !== undefined, "the durable reader's blocked connection");
    const socket = sockets.find((s) => s.localPort === reader.port);
    assert.ok(socket !== undefined, "the durable reader's socket");

    // Its reply is never read: the socket stops handing data to ioredis.
    socket.pause();
    pub.publish('pel.ev', enc('e2'));
    await pub.flush();
    // Redis served the blocked read as it appended e2: e2 is pending, for this consumer.
    const pending = (await admin.call('XPENDING', key, DURABLE, '-', '+', '10')) as Array<[string, string, number, number]>;
    assert.deepEqual(
      pending.map(([, consumer, , deliveries]) => [consumer, deliveries]),
      [[DURABLE, 1]],
      'e2 assigned to the consumer by the read whose reply is about to be lost',
    );
    await admin.client('KILL', 'ID', reader.id);
    socket.destroy();

    // A marker after it: `>` hands it out; the lost one must come first.
    pub.publish('pel.ev', enc('e3'));
    await pub.flush();
    await within(marker, 30_000, 'e3 never arrived after the reconnect');
    assert.deepEqual(got.items, ['e1', 'e2', 'e3'], 'the lost entry comes after the reconnect, before what is newer, nothing twice');
    await subscription.unsubscribe();
    const left = (await admin.call('XPENDING', key, DURABLE)) as [number, ...unknown[]];
    assert.equal(left[0], 0, 'everything acknowledged');
  } finally {
    unsubscribe('net.client.socket', onSocket);
    admin.disconnect();
    await pub.close();
    await sub.close();
    await redis.stop();
  }
});
