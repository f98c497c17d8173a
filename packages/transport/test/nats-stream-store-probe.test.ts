// Events go to the NATS stream as core publishes: nothing confirms the stream stored them. The
// driver's store probes (nats-store-probe.ts) notice a stream deleted while the connection stays
// up (it is created again at once, no reconnect needed) and a stream that refuses what it is sent
// (its limits with discard 'new'): a warn line naming the stream and the server's description,
// counted in stats().streamRefusals, and an info line once it stores again.
// Before, both were silent: the stream stayed missing until a reconnect, refusals were never seen.
// Real nats-server (test kit).
import { strict as assert } from 'node:assert';
import { test, type TestContext } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, type Driver, type DriverLogger } from '@fsbus/transport';
import { enc } from './conformance/helpers.js';

interface Line {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

function collecting(): { logger: DriverLogger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: object, msg?: string) => void lines.push({ level, msg: msg ?? '', fields: fields as Record<string, unknown> });
  return { lines, logger: { debug: () => undefined, info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Publishes one event per round trip until `done()`, within a bound (the probes run about once a second). */
async function publishUntil(driver: Driver, subject: string, done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not seen within 30 s: ${what}`);
    driver.publish(subject, enc('{}'));
    await driver.flush();
  }
}

/** A JetStream nats-server, a driver (not connected yet) logging into `lines`, a plain client: all stopped after the test. */
async function rig(t: TestContext): Promise<{ lines: Line[]; driver: Driver; nc: NatsConnection }> {
  const server = await startNatsServer({ jetstream: true });
  const { logger, lines } = collecting();
  const driver = await createDriver('nats', { urls: [server.url], logger }); // nothing on the wire yet
  const nc = await connect({ servers: server.url }).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  // The clients first, then their server.
  t.after(async () => {
    await nc.close();
    await driver.close();
    await server.stop();
  });
  return { lines, driver, nc };
}

const refusals = (d: Driver): number => d.stats().streamRefusals ?? 0;

void test('nats stream deleted while connected: noticed, created again without a reconnect, then storing again', { timeout: 90_000 }, async (t) => {
  const { lines, driver, nc } = await rig(t);
  await driver.connect();
  await driver.ensureStream({ name: 'PROBE_GONE', subjects: ['pg.events.>'], storage: 'memory' });
  // A live subscriber: a publish to a subject no stream holds still finds a subscriber (no 503).
  const live = nc.subscribe('pg.events.>');
  await nc.flush();
  const jsm = await jetstreamManager(nc);
  await publishUntil(driver, 'pg.events.x', async () => (await jsm.streams.info('PROBE_GONE')).state.messages > 0, 'the stream storing');
  await jsm.streams.delete('PROBE_GONE');
  const exists = (): Promise<boolean> => jsm.streams.info('PROBE_GONE').then(() => true, () => false);
  await publishUntil(driver, 'pg.events.x', () => lines.some((l) => l.msg === 'event stream storing again'), 'the stream storing again');
  assert.ok(await exists(), 'the stream was created again');
  const warn = lines.find((l) => l.level === 'warn' && /event stream is not storing events/.test(l.msg));
  assert.ok(warn, `warn line; got ${JSON.stringify(lines)}`);
  assert.equal(warn.fields['stream'], 'PROBE_GONE');
  assert.ok(lines.some((l) => l.level === 'warn' && /event stream was gone while connected: created again/.test(l.msg)));
  assert.ok(refusals(driver) >= 1);
  assert.equal(driver.stats().reconnects, 0, 'no reconnect was needed');
  // Said once per change, not per probe.
  assert.equal(lines.filter((l) => /event stream is not storing events/.test(l.msg)).length, 1);
  live.unsubscribe();
});

void test('nats stream that refuses stores (max_msgs, discard new): a warn line with the server description, counted; storing again once the limit is lifted', { timeout: 90_000 }, async (t) => {
  const { lines, driver, nc } = await rig(t);
  const jsm = await jetstreamManager(nc);
  // Made beforehand by an operator: full at 3 messages, new ones refused.
  await jsm.streams.add({ name: 'PROBE_FULL', subjects: ['pf.events.>'], max_msgs: 3, discard: DiscardPolicy.New, storage: StorageType.Memory });
  await driver.connect();
  await driver.ensureStream({ name: 'PROBE_FULL', subjects: ['pf.events.>'], storage: 'memory', maxMessages: 3 });
  const notStoring = (): Line | undefined => lines.find((l) => l.level === 'warn' && /event stream is not storing events/.test(l.msg));
  await publishUntil(driver, 'pf.events.x', () => notStoring() !== undefined, 'the not-storing warn line');
  const warn = notStoring()!;
  assert.equal(warn.fields['stream'], 'PROBE_FULL');
  assert.match(String(warn.fields['description']), /maximum messages exceeded/i);
  assert.ok(refusals(driver) >= 1);
  assert.equal((await jsm.streams.info('PROBE_FULL')).state.messages, 3);
  assert.ok(!lines.some((l) => /created again/.test(l.msg)), 'a full stream is not created again');

  await jsm.streams.update('PROBE_FULL', { max_msgs: -1 });
  await publishUntil(driver, 'pf.events.x', () => lines.some((l) => l.level === 'info' && l.msg === 'event stream storing again'), 'the storing-again info line');
  assert.equal(lines.filter((l) => /event stream is not storing events/.test(l.msg)).length, 1);
});

// A client allowed to publish under the agent's inbox prefix could answer a probe itself. Before,
// the reply subject was `<inbox>.<n>` with n counting up: a forger that saw one probe (its reply
// subject rides on the event) pre-sent a PubAck to `<inbox>.<n+1>`, which came before JetStream's
// refusal, and the driver said `event stream storing again` while the stream kept refusing. Now each
// probe has a random token, and only JetStream's own answers count (a PubAck naming the stream).
void test('nats store probe: a PubAck forged on the next reply subject does not cancel a refusal', { timeout: 90_000 }, async (t) => {
  const { lines, driver, nc } = await rig(t);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'PROBE_SPOOF', subjects: ['ps.events.>'], max_msgs: 1, discard: DiscardPolicy.New, storage: StorageType.Memory });
  await driver.connect();
  await driver.ensureStream({ name: 'PROBE_SPOOF', subjects: ['ps.events.>'], storage: 'memory', maxMessages: 1 });
  // The forger: reads each probe's reply subject off the events and guesses the next one.
  let next: string | undefined;
  const spy = nc.subscribe('ps.events.>', {
    callback: (_err, m) => {
      if (m.reply === undefined || m.reply === '') return;
      const i = m.reply.lastIndexOf('.');
      next = `${m.reply.slice(0, i)}.${Number(m.reply.slice(i + 1)) + 1}`;
    },
  });
  await nc.flush();
  const storingAgain = (): boolean => lines.some((l) => l.msg === 'event stream storing again');
  const deadline = Date.now() + 30_000;
  // Until several probes were refused (or the forgery was believed).
  while (refusals(driver) < 4 && !storingAgain()) {
    if (Date.now() > deadline) throw new Error('not seen within 30 s: 4 refused probes');
    // Sent just before each event: at the server before JetStream's answer to a probe can be.
    if (next !== undefined) nc.publish(next, enc('{"stream":"PROBE_SPOOF","seq":1}'));
    driver.publish('ps.events.x', enc('{}'));
    await driver.flush();
  }
  spy.unsubscribe();
  assert.ok(!storingAgain(), `a forged PubAck was taken for the stream's: ${JSON.stringify(lines)}`);
  assert.equal(lines.filter((l) => /event stream is not storing events/.test(l.msg)).length, 1);
  assert.equal((await jsm.streams.info('PROBE_SPOOF')).state.messages, 1);
});

// An answer that is not JetStream's for this stream is no answer: a PubAck naming another stream, one
// without a sequence, an error not in JetStream's shape. Here JetStream stays silent (the stream's
// subjects were moved by an operator after it refused), so the replier's answer is the only one;
// before, its PubAck of another stream was taken as stored (`event stream storing again`).
void test('nats store probe: answers not in JetStream\'s shape, or naming another stream, are ignored', { timeout: 90_000 }, async (t) => {
  const { lines, driver, nc } = await rig(t);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'PROBE_OTHER', subjects: ['po.events.>'], max_msgs: 1, discard: DiscardPolicy.New, storage: StorageType.Memory });
  await driver.connect();
  await driver.ensureStream({ name: 'PROBE_OTHER', subjects: ['po.events.>'], storage: 'memory', maxMessages: 1 });
  const notStoring = (): Line[] => lines.filter((l) => /event stream is not storing events/.test(l.msg));
  await publishUntil(driver, 'po.events.x', () => notStoring().length > 0, 'the not-storing warn line');
  const before = refusals(driver);
  await jsm.streams.update('PROBE_OTHER', { subjects: ['po.moved.>'] });
  // A replier answering every probe it sees, none of them as JetStream would for PROBE_OTHER.
  const probes = new Set<string>();
  const replier = nc.subscribe('po.events.>', {
    callback: (_err, m) => {
      if (m.reply === undefined || m.reply === '') return;
      probes.add(m.reply);
      for (const a of ['{"stream":"SOMETHING_ELSE","seq":7}', '{"stream":"PROBE_OTHER"}', '{"error":"busy"}', '{"error":{"description":"no code"}}']) m.respond(enc(a));
    },
  });
  await nc.flush();
  const storingAgain = (): boolean => lines.some((l) => l.msg === 'event stream storing again');
  // Three probes seen: the first two of them were answered by the replier alone and given up.
  await publishUntil(driver, 'po.events.x', () => probes.size >= 3 || storingAgain(), 'three probes');
  replier.unsubscribe();
  assert.ok(!storingAgain(), `a PubAck of another stream was taken for this one's: ${JSON.stringify(lines)}`);
  assert.equal(refusals(driver), before, 'the replier\'s errors are not counted as refusals');
  assert.equal(notStoring().length, 1);
});
