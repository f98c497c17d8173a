// Core NATS acknowledges no publish: what the driver wrote into a link that froze and then went is
// lost with it, silently, unless the driver says so. Events written since the last PONG (the write
// window's confirmation) are handed back to their publisher (PublishOptions.onDroppedAfterSend)
// once each and counted in `dropped` when the connection goes; events a PONG confirmed are not.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver } from '@fsbus/transport';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

void test('nats: events written into a frozen link that then goes are handed back once each and counted; confirmed ones are not', { timeout: 60_000 }, async (t) => {
  const relay = await startRelay(nats.port);
  const pub = await createDriver('nats', { urls: [relay.url(nats.url)], name: 'agent' });
  const sub = await createDriver('nats', { urls: [nats.url], name: 'stream' });
  t.after(async () => {
    await relay.close();
    await pub.close();
    await sub.close();
  });
  await Promise.all([pub.connect(), sub.connect()]);
  const got = new Collector<string>();
  sub.subscribe('hb.>', (m) => got.push(dec(m.data)));
  await sub.flush();
  const told: string[] = [];
  const onDroppedAfterSend = (subject: string, data: Uint8Array): void => void told.push(`${subject} ${dec(data)}`);

  // Confirmed by flush()'s PONG: they arrived, nothing to hand back.
  for (let i = 0; i < 5; i++) assert.equal(pub.publish('hb.confirmed', enc(`c${i}`), { onDroppedAfterSend }), 'sent');
  await pub.flush();
  await got.until(5);

  // The link hangs (a frozen server): written, never confirmed, then the connection goes.
  relay.stall();
  const frozen = Array.from({ length: 10 }, (_, i) => `f${i}`);
  for (const f of frozen) assert.equal(pub.publish('hb.frozen', enc(f), { onDroppedAfterSend }), 'sent');
  // Without a callback: lost just the same, but nobody asked to be told (not tracked, not counted).
  assert.equal(pub.publish('hb.untracked', enc('u')), 'sent');
  assert.equal(pub.stats().dropped, 0);
  await relay.cut();
  await waitStatus(pub, 'reconnecting');

  assert.deepEqual(told, frozen.map((f) => `hb.frozen ${f}`));
  assert.equal(pub.stats().dropped, frozen.length);

  await relay.restore();
  await waitStatus(pub, 'connected', 30_000);
  pub.publish('hb.after', enc('after'), { onDroppedAfterSend });
  await pub.flush();
  await got.until(6);
  // Once each: the reconnect hands nothing back again, and the frozen events really were lost.
  assert.equal(told.length, frozen.length);
  assert.equal(pub.stats().dropped, frozen.length);
  assert.deepEqual(got.items, ['c0', 'c1', 'c2', 'c3', 'c4', 'after']);
});
