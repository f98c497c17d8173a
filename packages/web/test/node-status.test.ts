// A node card keeps only what the page shows and the server reads of an agent.status answer,
// its text cut: anyone who can answer on the broadcast lane (or a misbehaving agent) sends up to
// the broker's message size of any shape, and every card goes into every page's snapshot and
// updates (up to 1,000 nodes). Real nats-server (4 MiB max_payload), agent and simulator, and a
// rogue responder on the broadcast lane.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { NodeView, Update } from '@fsbus/web';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MAX_STATUS_TEXT_CHARS, readNodeStatus } from '../src/node-status.js';
import { MAX_FIELD_CHARS } from '../src/text-caps.js';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const KB = 1024;
const MiB = 1024 * KB;
/** docs/web.md: a card is at most ~2.5 KB of JSON with every text at its cap. */
const CARD_BYTES = 4 * KB;

const big = (start: string, i = 0): string => `${start}${'x'.repeat(100 * KB)}${i}`;

/** An agent.status answer with 100 KB in every text the card shows and ~1 MiB of fields it does not. */
function hostileStatus(nodeId: string, i = 0, extraFields = 1000): Record<string, unknown> {
  const extra: Record<string, string> = {};
  for (let k = 0; k < extraFields; k++) extra[`field_${k}`] = 'y'.repeat(1000);
  return {
    version: big('1.0', i),
    node_id: nodeId,
    uptime: 42,
    driver: big('nats', i),
    ready: false,
    not_ready_reason: big('FreeSWITCH event connection reconnecting', i),
    broker: { status: big('connected', i), reconnects: 3, junk: extra },
    esl: { status: 'ready', reconnects: 1, events_subscription: big('all', i) },
    counters: { requests_ok: 7, requests_failed: 2, events_published: 11, events_dropped: 1, reconnects: 4, ...Object.fromEntries(Object.keys(extra).map((k) => [k, 1])) },
    park: { enabled: true, audio: big('ringback', i), music_class: big('moh', i), auto_answer: true },
    extra,
    list: Array.from({ length: 10_000 }, (_, k) => k),
  };
}

const envelope = (nodeId: string, data: unknown): string =>
  JSON.stringify({ success: true, status: 'success', message: 'Agent status retrieved', timestamp: Date.now() * 1000, node_id: nodeId, data });

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

describe('a node answering agent.status with ~1 MiB of fields and 100 KB texts', () => {
  let w: Wiring;
  let nc: NatsConnection;
  const updates: NodeView[] = [];
  const warnings: string[] = [];

  before(async () => {
    w = await startWiring(['fs-node-01'], { warn: (m) => warnings.push(m) }, { maxPayloadBytes: 4 * MiB });
    w.web.dashboard.onUpdate((u: Update) => updates.push(...(u.nodes ?? []).filter((n) => n.node_id === 'rogue-01')));
    nc = await connect({ servers: w.nats.url });
    const answer = envelope('rogue-01', hostileStatus('rogue-01'));
    assert.ok(answer.length > MiB, `the answer is ${answer.length} bytes`);
    nc.subscribe('freeswitch.broadcast', { callback: (_err, msg) => void msg.respond(answer) });
    // Its channels cannot be read either, and the reply says why in 100 KB.
    nc.subscribe('freeswitch.node.rogue-01', {
      callback: (_err, msg) =>
        void msg.respond(JSON.stringify({ success: false, status: 'error', message: big('no such command'), code: big('E'), timestamp: Date.now() * 1000, node_id: 'rogue-01' })),
    });
    await nc.flush();
  });

  after(async () => {
    await nc?.close();
    await w?.stop();
  });

  test('its card keeps a few KB (snapshot and updates), and still has every field the page shows', async () => {
    const { dashboard } = w.web;
    const rogue = (): NodeView | undefined => dashboard.snapshot().nodes.find((n) => n.node_id === 'rogue-01');
    await dashboardUntil(dashboard, () => rogue()?.sync_error !== undefined, 'the rogue node shown, its channel read failed');
    const card = rogue()!;
    assert.ok(bytes(card) < CARD_BYTES, `the card is ${bytes(card)} bytes in the snapshot`);
    assert.ok(updates.length > 0);
    for (const u of updates) assert.ok(bytes(u) < CARD_BYTES, `the card is ${bytes(u)} bytes in an update`);

    // What app/views/nodes.ts reads, and eslCameBack.
    const s = card.status as {
      uptime: unknown;
      driver: string;
      broker: { status: string };
      esl: { status: string; reconnects: unknown };
      counters: Record<string, unknown>;
    };
    assert.equal(s.uptime, 42);
    assert.deepEqual(s.esl, { status: 'ready', reconnects: 1 });
    assert.deepEqual(s.counters, { requests_ok: 7, requests_failed: 2, events_published: 11, events_dropped: 1, reconnects: 4 });
    for (const [text, start] of [[s.driver, 'nats'], [s.broker.status, 'connected'], [card.park.audio!, 'ringback'], [card.park.music_class!, 'moh']] as const) {
      assert.ok(text.startsWith(start) && text.endsWith('…') && text.length === MAX_STATUS_TEXT_CHARS, `${start}: ${text.length} characters`);
    }
    assert.equal(card.park.enabled, true);
    assert.equal(card.park.auto_answer, true);
    // Readiness (agent.status `ready`, `not_ready_reason`): the reason is a message, cut as the node's other messages are.
    assert.equal(card.status['ready'], false);
    const reason = card.status['not_ready_reason'] as string;
    assert.ok(reason.startsWith('FreeSWITCH event connection reconnecting') && reason.endsWith('…') && reason.length === MAX_FIELD_CHARS, `reason: ${reason.length} characters`);
    assert.deepEqual(Object.keys(card.status).sort(), ['broker', 'counters', 'driver', 'esl', 'not_ready_reason', 'ready', 'uptime']);
    assert.ok(card.sync_error!.message.includes('no such command'), card.sync_error!.message);

    // The real agent's card has the same fields.
    const real = dashboard.snapshot().nodes.find((n) => n.node_id === 'fs-node-01')!;
    assert.equal((real.status['esl'] as { status: string }).status, 'ready');
    assert.equal((real.status['broker'] as { status: string }).status, 'connected');
    assert.equal(real.status['driver'], 'nats');
    assert.equal(typeof (real.status['counters'] as Record<string, unknown>)['requests_ok'], 'number');
    assert.equal(typeof real.status['ready'], 'boolean');
  });

  test('an answer whose node id is longer than 128 characters is not read: said once (the id cut), the node not shown', async () => {
    const { dashboard } = w.web;
    const longId = 'r'.repeat(100 * KB);
    const sub = nc.subscribe('freeswitch.broadcast', { callback: (_err, msg) => void msg.respond(envelope(longId, { node_id: longId, uptime: 1, esl: { status: 'ready' } })) });
    try {
      await nc.flush();
      await dashboardUntil(dashboard, () => warnings.some((m) => m.includes('could not be read')), 'the warning');
      const said = warnings.find((m) => m.includes('could not be read'))!;
      assert.ok(said.length < 2 * KB, `a warning of ${said.length} characters`);
      assert.match(said, /node id/);
      assert.deepEqual(dashboard.snapshot().nodes.map((n) => n.node_id).sort(), ['fs-node-01', 'rogue-01']);
    } finally {
      sub.unsubscribe();
    }
  });
});

describe('readNodeStatus', () => {
  test('keeps no view of the long texts it cut (measured heap, 200 answers)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const kept: unknown[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) {
      // Parsed, as from the bus: strings of their own.
      const answer = JSON.parse(JSON.stringify(hostileStatus(`n${i}`, i, 10))) as unknown;
      kept.push(readNodeStatus(answer, `n${i}`));
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(kept.length, 200);
    // The texts cut were 200 × 6 × 100 KB = 120 MB; kept, 200 cards of a few KB.
    assert.ok(grown < 4 * MiB, `the kept cards grew the heap by ${(grown / MiB).toFixed(1)} MiB`);
  });

  test('an answer that is no object, or whose node id is empty or too long, cannot be read', () => {
    for (const data of [null, 'ready', 42, [{ node_id: 'n1' }]]) {
      const read = readNodeStatus(data, 'n1');
      assert.ok(read instanceof Error, JSON.stringify(data));
    }
    assert.ok(readNodeStatus({ node_id: 'n'.repeat(129) }, 'n1') instanceof Error);
    assert.ok(readNodeStatus({}, 'n'.repeat(129)) instanceof Error);
    assert.ok(readNodeStatus({}, '') instanceof Error);
    const ok = readNodeStatus({ node_id: 'n'.repeat(128), esl: ['ready'], counters: { requests_ok: '7', events_dropped: 3 } }, 'x');
    assert.ok(!(ok instanceof Error));
    assert.equal(ok.id, 'n'.repeat(128));
    // Fields of another shape are left out (the card shows "–"), as the page read them before.
    assert.deepEqual(ok.status, { counters: { events_dropped: 3 } });
    // Readiness: not_ready_reason only with ready false; an older agent (neither) keeps neither, so
    // the card cannot show it "not ready"; fields of another type are left out.
    const notReady = readNodeStatus({ node_id: 'n1', ready: false, not_ready_reason: 'FreeSWITCH refused the ESL password (-ERR invalid), retrying: check FSBUS_ESL_PASSWORD' }, 'n1');
    assert.ok(!(notReady instanceof Error));
    assert.deepEqual(notReady.status, { ready: false, not_ready_reason: 'FreeSWITCH refused the ESL password (-ERR invalid), retrying: check FSBUS_ESL_PASSWORD' });
    const ready = readNodeStatus({ node_id: 'n1', ready: true, not_ready_reason: 'stale' }, 'n1');
    assert.ok(!(ready instanceof Error));
    assert.deepEqual(ready.status, { ready: true });
    const older = readNodeStatus({ node_id: 'n1', uptime: 5 }, 'n1');
    assert.ok(!(older instanceof Error));
    assert.deepEqual(older.status, { uptime: 5 });
    const odd = readNodeStatus({ node_id: 'n1', ready: 'false', not_ready_reason: 42 }, 'n1');
    assert.ok(!(odd instanceof Error));
    assert.deepEqual(odd.status, {});
    // node_id not a string: the envelope's, as before.
    const env = readNodeStatus({ node_id: 5 }, 'n1');
    assert.ok(!(env instanceof Error) && env.id === 'n1');
  });
});
