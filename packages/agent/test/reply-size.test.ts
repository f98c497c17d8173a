// A reply larger than the broker takes: the requester hears so at once, instead of waiting out its timeout.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { startNatsServer } from '@fsbus/testkit';
import { startCluster } from './support/cluster.js';

void test('a reply over the broker\'s max_payload is answered with REPLY_TOO_LARGE and counted as failed; the forward_to copy gets the same', async () => {
  const cluster = await startCluster({ startBroker: () => startNatsServer({ maxPayloadBytes: 4096 }) });
  const S = 'freeswitch.node.node-1';
  try {
    const copy = new Promise<ReplyEnvelope>((resolve) => cluster.client.subscribe('observers.big', (m) => resolve(decodeReply(m.data))));
    await cluster.client.flush();
    // 3,000 characters in, 6,000 out: the request fits, the reply does not.
    assert.equal((await cluster.request(S, JSON.stringify({ command: 'global_setvar', args: `big=${'x'.repeat(3000)}` }))).success, true);
    const r = await cluster.request(S, JSON.stringify({ command: 'eval', args: '${big}${big}', forward_to: 'observers.big' }));
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.REPLY_TOO_LARGE);
    assert.match(String(r.message), /^Reply too large for the broker: \d+ bytes, it takes at most 4096$/);
    assert.equal((await copy).code, BusErrorCode.REPLY_TOO_LARGE);
    const counters = cluster.nodes[0]!.agent.status()['counters'] as { requests_ok: number; requests_failed: number };
    assert.deepEqual([counters.requests_ok, counters.requests_failed], [1, 1]);
    // A reply that fits still goes out whole.
    assert.equal((await cluster.request(S, JSON.stringify({ command: 'eval', args: '${big}' }))).data, 'x'.repeat(3000));
  } finally {
    await cluster.stop();
  }
});
