// Several agents share one JetStream event stream: one (re)started with narrower retention must
// not delete the others' history. An existing stream's limits are only ever widened, its subjects
// are the union, and what was kept wider than an agent's config is said in a warn line.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { ensureNatsStream } from '../src/nats/nats-streams.js';

const HOUR_MS = 3600_000;
const NS_PER_MS = 1_000_000;

function capturedWarnings(): { warnings: Array<{ fields: Record<string, unknown>; msg: string }>; logger: DriverLogger } {
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const none = (): void => undefined;
  return { warnings, logger: { debug: none, info: none, error: none, warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' }) } };
}

void test('nats shared stream: an agent with narrower retention keeps the wider one (warn line), a wider one widens, subjects are the union', async (t) => {
  const server = await startNatsServer({ jetstream: true });
  t.after(() => server.stop());
  const nc = await connect({ servers: server.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const stream = async () => {
    const i = await jsm.streams.info('SHARED');
    return { msgs: i.state.messages, maxAgeMs: i.config.max_age / NS_PER_MS, maxMsgs: i.config.max_msgs, maxBytes: i.config.max_bytes, subjects: [...(i.config.subjects ?? [])].sort() };
  };

  // fs-a: a week, no count limit; 30 events of the cluster in the stream.
  const a = await createDriver('nats', { urls: [server.url] });
  t.after(() => a.close());
  await a.connect();
  await a.ensureStream({ name: 'SHARED', subjects: ['fs.events.>'], maxAgeMs: 168 * HOUR_MS });
  for (let i = 0; i < 30; i++) a.publish('fs.events.custom', new TextEncoder().encode(String(i)));
  await a.flush();

  // fs-b restarts asking for an hour and 10 messages: nothing is deleted, the week stays.
  const b = capturedWarnings();
  await ensureNatsStream(nc, { name: 'SHARED', subjects: ['fs.events.>'], maxAgeMs: HOUR_MS, maxMessages: 10 }, b.logger);
  assert.deepEqual(await stream(), { msgs: 30, maxAgeMs: 168 * HOUR_MS, maxMsgs: -1, maxBytes: -1, subjects: ['fs.events.>'] });
  assert.equal(b.warnings.length, 1, JSON.stringify(b.warnings));
  assert.deepEqual(Object.keys(b.warnings[0]!.fields['kept'] as object), ['max_age', 'max_msgs']);
  assert.match(b.warnings[0]!.msg, /nats stream edit SHARED --max-age=… --max-msgs=…/);

  // Through a driver too (what the agent calls): still not narrowed.
  const c = await createDriver('nats', { urls: [server.url] });
  t.after(() => c.close());
  await c.connect();
  await c.ensureStream({ name: 'SHARED', subjects: ['fs.events.>'], maxAgeMs: HOUR_MS, maxBytes: 1024 });
  assert.deepEqual(await stream(), { msgs: 30, maxAgeMs: 168 * HOUR_MS, maxMsgs: -1, maxBytes: -1, subjects: ['fs.events.>'] });

  // An agent asking for more widens the stream for everyone; another subject is added, none dropped.
  const d = capturedWarnings();
  await ensureNatsStream(nc, { name: 'SHARED', subjects: ['other.events.>'], maxAgeMs: 720 * HOUR_MS }, d.logger);
  assert.deepEqual(await stream(), { msgs: 30, maxAgeMs: 720 * HOUR_MS, maxMsgs: -1, maxBytes: -1, subjects: ['fs.events.>', 'other.events.>'] });
  assert.deepEqual(d.warnings, [], 'nothing kept wider than this config');

  // Limits on both sides: the larger count wins.
  await jsm.streams.update('SHARED', { max_msgs: 20 });
  const e = capturedWarnings();
  await ensureNatsStream(nc, { name: 'SHARED', subjects: ['fs.events.>'], maxAgeMs: 720 * HOUR_MS, maxMessages: 25 }, e.logger);
  assert.equal((await stream()).maxMsgs, 25);
  assert.deepEqual(e.warnings, []);
});
