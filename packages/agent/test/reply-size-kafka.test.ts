// reply-size.test.ts over Kafka, whose driver learns the broker's message.max.bytes (64 KiB here):
// a reply larger than the broker takes is answered with REPLY_TOO_LARGE at once instead of being
// refused by the broker while the requester waits out its timeout; an event larger than it is
// counted as failed and logged, not counted as published and lost.
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { EslEvent } from '@fsbus/esl';
import { startKafka } from '@fsbus/testkit';
import { eslTo, startCluster, type Cluster } from './support/cluster.js';

const LIMIT = 64 * 1024;
const S = 'freeswitch.node.node-1';

void describe("agent over kafka: messages over the broker's message.max.bytes", { timeout: 240_000 }, () => {
  let cluster: Cluster;
  const counters = () => cluster.nodes[0]!.agent.status()['counters'] as Record<string, number>;
  before(async () => {
    cluster = await startCluster({ driver: 'kafka', startBroker: () => startKafka({ messageMaxBytes: LIMIT }), config: { events: { include: ['CUSTOM::fsbus::size'] } } });
  }, { timeout: 120_000 });
  after(() => cluster.stop(), { timeout: 120_000 });

  void it('a reply over it is REPLY_TOO_LARGE, counted as failed; the forward_to copy gets the same', async () => {
    const copy = new Promise<ReplyEnvelope>((resolve) => cluster.client.subscribe('observers.big', (m) => resolve(decodeReply(m.data))));
    await cluster.client.flush();
    // 40,000 characters in, 80,000 out: the request fits, the reply does not. A long timeout: had
    // the reply been sent, the broker's refusal would show only as it running out.
    assert.equal((await cluster.request(S, JSON.stringify({ command: 'global_setvar', args: `big=${'x'.repeat(40_000)}` }), 30_000)).success, true);
    const r = await cluster.request(S, JSON.stringify({ command: 'eval', args: '${big}${big}', forward_to: 'observers.big' }), 60_000);
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.REPLY_TOO_LARGE);
    // At most what the broker takes, less room for the record's key, headers and framing.
    const max = Number(/^Reply too large for the broker: \d+ bytes, it takes at most (\d+)$/.exec(String(r.message))?.[1]);
    assert.ok(max > LIMIT - 2048 && max < LIMIT, String(r.message));
    assert.equal((await copy).code, BusErrorCode.REPLY_TOO_LARGE);
    assert.deepEqual([counters()['requests_ok'], counters()['requests_failed']], [1, 1]);
    // A reply that fits still goes out whole.
    assert.equal((await cluster.request(S, JSON.stringify({ command: 'eval', args: '${big}' }), 30_000)).data, 'x'.repeat(40_000));
  });

  void it('an event over it is counted as failed and logged, not as published; the next one arrives', async () => {
    const node = cluster.nodes[0]!;
    const got: string[] = [];
    let arrived!: () => void;
    const last = new Promise<void>((resolve) => (arrived = resolve));
    // The test's events: the agent's own (agent_start; events_dropped telling of the big one's loss)
    // pass any include list and are counted as published too.
    const sub = cluster.client.subscribe('freeswitch.events.custom.fsbus.size', (m) => {
      const size = (JSON.parse(new TextDecoder().decode(m.data)) as { headers: Record<string, string> }).headers['Size'] ?? '';
      got.push(size);
      if (size === 'small') arrived();
    });
    await cluster.client.flush();
    const logged = node.logs.length;
    const esl = await eslTo(node.sim);
    try {
      for (const [size, body] of [['big', 'y'.repeat(LIMIT)], ['small', 'z']] as const) {
        const e = EslEvent.create('CUSTOM', 'fsbus::size');
        e.addHeader('Size', size);
        e.addHeader('Body', body);
        await esl.sendevent(e);
      }
      // Events go out in order: once the small one arrived, the big one was handled.
      await last;
    } finally {
      await esl.close();
      await sub.unsubscribe();
    }
    assert.deepEqual(got, ['small']);
    assert.deepEqual([counters()['events_received'], counters()['events_failed']], [2, 1]);
    const warned = node.logs.slice(logged).filter((l) => l['msg'] === 'publish refused, dropped');
    // The event's own subject, not the topic every event shares: which event was dropped.
    assert.deepEqual(warned.map((l) => l['subject']), ['freeswitch.events.custom.fsbus.size']);
  });
});
