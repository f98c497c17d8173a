// A broker may deliver one node's reply to a gather twice: ioredis sends a command again on its new
// connection when the old one died before the answer came back (the reply script had run), and
// Kafka's send queue can send an in-flight batch again. The gather must list each node once, count
// what it dropped in `.duplicates`, and not let the second copy count towards `expect` — else
// `expect: N` is met by N-1 nodes and statusAll lists a node twice.
// Real Redis (a relay in front of node A cuts its connection once Redis ran A's reply, so ioredis
// sends it again) and a real nats-server (a responder that answers twice).
import { strict as assert } from 'node:assert';
import { connect as tcpConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { encodeReply, successReply } from '@fsbus/contract';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { connect, type FsbusClient } from '../src/index.js';
import { fullStatus } from './support/agent-status.js';
import { scriptedBroadcast } from './support/scripted-broadcast.js';

const statusReply = (nodeId: string): Uint8Array => encodeReply(successReply({ nodeId, message: 'ok', data: fullStatus(nodeId) }));

/**
 * A relay in front of one Redis client. Armed, it lets the next reply script (a command naming a
 * `:reply:` key) run on Redis and cuts the client as Redis's answer (`:1`) comes back: ioredis
 * then sends the command again on its next connection, and Redis runs it a second time.
 */
async function replyCuttingRelay(redisPort: number): Promise<{ port: number; arm(): void; close(): Promise<void> }> {
  let armed = false;
  const open = new Set<Socket>();
  const server = createServer((client: Socket) => {
    const upstream = tcpConnect(redisPort, '127.0.0.1');
    open.add(client);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    let cutOnAnswer = false;
    client.on('data', (bytes: Buffer) => {
      if (armed && bytes.includes(':reply:')) {
        armed = false;
        cutOnAnswer = true;
      }
      upstream.write(bytes);
    });
    upstream.on('data', (bytes: Buffer) => {
      if (cutOnAnswer && bytes.includes(':1\r\n')) {
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(bytes);
    });
    client.on('close', () => {
      open.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arm: () => void (armed = true),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

void describe('@fsbus/client gather: one reply per node, whatever the broker delivers twice', () => {
  void describe('redis: a reply sent again by ioredis after its connection was cut', () => {
    let redis: BrokerHandle;
    let relay: Awaited<ReturnType<typeof replyCuttingRelay>>;
    /** Redis's MONITOR feed (a connection of its own). */
    let monitor: Redis;
    let nodeA: Driver;
    let nodeB: Driver;
    let bus: FsbusClient;
    /** Node B answers once node A's reply has been written twice to the requester's reply stream. */
    let bMayAnswer: Promise<void> = Promise.resolve();
    let onSecondWrite: () => void = () => undefined;
    /** Node A's reply writes, by request (correlation id): MONITOR lines of one test may come during the next. */
    const writesOfA = new Map<string, number>();
    before(async () => {
      redis = await startRedis();
      relay = await replyCuttingRelay(Number(new URL(redis.url).port));
      // Redis's own account of what it ran: the reply script's XADD to a reply stream, in order.
      const monitoring = new Redis(redis.url);
      monitor = await monitoring.monitor();
      monitoring.disconnect();
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]?.toUpperCase() !== 'XADD' || args[1]?.includes(':reply:') !== true) return;
        const field = (name: string): string => args[args.indexOf(name) + 1] ?? '';
        if (!field('data').includes('"node_id":"node-a"')) return;
        const id = field('correlation_id');
        const writes = (writesOfA.get(id) ?? 0) + 1;
        writesOfA.set(id, writes);
        if (writes === 2) onSecondWrite();
      });
      nodeA = await createDriver('redis', { urls: [`redis://127.0.0.1:${relay.port}`], namespace: 'freeswitch' });
      nodeB = await createDriver('redis', { urls: [redis.url], namespace: 'freeswitch' });
      for (const d of [nodeA, nodeB]) await d.connect();
      nodeA.serve({ subject: 'freeswitch.broadcast', competing: false }, () => statusReply('node-a'));
      nodeB.serve({ subject: 'freeswitch.broadcast', competing: false }, async () => {
        await bMayAnswer;
        return statusReply('node-b');
      });
      await nodeA.flush();
      await nodeB.flush();
      bus = await connect({ driver: 'redis', servers: redis.url, timeoutMs: 15_000 });
    });
    after(async () => {
      await bus?.close();
      await nodeA?.close();
      await nodeB?.close();
      monitor?.disconnect();
      await relay?.close();
      await redis?.stop();
    });
    /** The next gather gets node A's reply twice, then node B's. */
    const duplicateNext = (): void => {
      bMayAnswer = new Promise<void>((resolve) => (onSecondWrite = resolve));
      relay.arm();
    };

    void it('gather({ expect: 2 }) waits for the second node: node A once, the copy counted in .duplicates', async () => {
      duplicateNext();
      const replies = await bus.gather('agent.status', { expect: 2 });
      assert.deepEqual(replies.map((r) => r.node_id).sort(), ['node-a', 'node-b']);
      assert.equal(replies.duplicates, 1);
      assert.deepEqual(replies.badReplies, []);
      assert.deepEqual(Object.keys(replies), ['0', '1'], 'duplicates is not enumerable');
    });

    void it('statusAll({ expect: 2 }) lists each node once', async () => {
      duplicateNext();
      const all = await bus.statusAll({ expect: 2 });
      assert.deepEqual(
        all.map((s) => s.node_id),
        ['node-a', 'node-b'],
      );
      assert.equal(all.duplicates, 1);
    });
  });

  void describe('nats: a responder that answers twice', () => {
    const rig = scriptedBroadcast(15_000);
    const answering = rig.answering;

    void it('node A, node A again, node B with expect 2: both nodes, one duplicate', async () => {
      const sub = await answering([statusReply('node-a'), statusReply('node-a'), statusReply('node-b')]);
      try {
        const replies = await rig.bus.gather('agent.status', { expect: 2 });
        assert.deepEqual(
          replies.map((r) => r.node_id),
          ['node-a', 'node-b'],
        );
        assert.equal(replies.duplicates, 1);
      } finally {
        sub.unsubscribe();
      }
    });

    void it('the first reply of a node is the one kept; replies naming no node stay badReplies, none a duplicate', async () => {
      const first = encodeReply(successReply({ nodeId: 'node-a', message: 'first', data: fullStatus('node-a') }));
      const second = encodeReply(successReply({ nodeId: 'node-a', message: 'second', data: fullStatus('node-a') }));
      const nameless = new TextEncoder().encode('{"success":true}');
      const sub = await answering([first, nameless, second, nameless, statusReply('node-b')]);
      try {
        const replies = await rig.bus.gather('agent.status', { expect: 4 });
        assert.deepEqual(
          replies.map((r) => `${r.node_id}:${r.message}`),
          ['node-a:first', 'node-b:ok'],
        );
        assert.equal(replies.badReplies.length, 2);
        assert.equal(replies.duplicates, 1);
      } finally {
        sub.unsubscribe();
      }
    });
  });
});
