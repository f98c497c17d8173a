/**
 * An agent restarted on the same endpoint while a plain SUB (mod_event_zmq's consumer: SUB to "")
 * stays connected. libzmq brings the SUB back on its own reconnect timer, 100 ms or more after the
 * new PUB is bound; the new agent's first events (its `fsbus::agent_start`, the resync signal) go
 * out before that, and a PUB drops what no subscriber is connected for. The driver holds the events
 * of a new PUB until its first subscription arrives, or `start_grace` (ms) passes: then they go out
 * in order. With no consumer at all the hold ends at the grace, bounded by `bufferMessages`.
 */
import { test, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { setImmediate as tick } from 'node:timers/promises';
import { Subscriber } from 'zeromq';
import { freePort } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { Collector, dec, enc, within } from './conformance/helpers.js';

/** A SUB to "": its payloads (last frame: native `[subject, payload]`, compat `[json]`), the probes apart. */
function plainSub(t: TestContext, events: string): { warm: Collector<string>; got: Collector<string> } {
  const sub = new Subscriber({ linger: 0 });
  t.after(() => sub.close());
  sub.connect(events);
  sub.subscribe();
  const warm = new Collector<string>();
  const got = new Collector<string>();
  void (async () => {
    for await (const frames of sub) {
      const payload = dec(frames[frames.length - 1]!);
      (payload === 'warm' ? warm : got).push(payload);
    }
  })().catch(() => undefined);
  return { warm, got };
}

/** An agent's driver: it serves a lane (so it binds, and its publishes are events), bound. */
async function agent(t: TestContext, url: string, bufferMessages?: number): Promise<Driver> {
  const d = await createDriver('zmq', { urls: [url], name: 'agent', ...(bufferMessages === undefined ? {} : { bufferMessages }) });
  t.after(() => d.close());
  await d.connect();
  d.serve({ subject: 'freeswitch.api', competing: true }, () => enc('ok'));
  await d.flush();
  return d;
}

for (const mode of ['native', 'mod_event_zmq'] as const) {
  void test(`zmq (${mode}): a SUB connected across an agent restart gets the new agent's first events, in order`, async (t) => {
    const events = await freePort();
    const url = `zmq://127.0.0.1:${await freePort()}?events=${events}${mode === 'native' ? '' : '&mode=mod_event_zmq&slow=drop'}`;
    const first = await agent(t, url);
    const { warm, got } = plainSub(t, `tcp://127.0.0.1:${events}`);
    // The SUB is there for sure once a probe arrives (no marker echo for a plain SUB): driven by what arrives.
    while (warm.items.length === 0) {
      first.publish('freeswitch.events.custom.warm', enc('warm'));
      await first.flush();
      await tick();
    }
    await first.close();
    const second = await agent(t, url);
    // At once after the bind, as the agent's agent_start: the SUB is still reconnecting.
    for (let i = 0; i < 5; i++) assert.equal(second.publish('freeswitch.events.custom.after', enc(`after ${i}`)), 'sent');
    assert.deepEqual(await got.until(5, 10_000), ['after 0', 'after 1', 'after 2', 'after 3', 'after 4']);
    await within(second.flush(), 10_000, 'flush hung after the hold');
    assert.equal(second.stats().dropped, 0);
  });
}

void test('zmq: with no consumer at all the hold ends at start_grace (flush resolves, the PUB drops for nobody)', async (t) => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}&start_grace=200`;
  const d = await agent(t, url);
  for (let i = 0; i < 3; i++) d.publish('freeswitch.events.custom.x', enc(`e${i}`));
  await within(d.flush(), 10_000, 'flush waited past the grace');
  assert.equal(d.stats().published, 3);
  assert.equal(d.stats().pending, 0);
});

void test('zmq: what the start hold keeps is bounded by bufferMessages (oldest dropped, counted), and close() does not wait for the grace', async (t) => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}&start_grace=600000`;
  const d = await agent(t, url, 2);
  const lost: string[] = [];
  for (let i = 0; i < 5; i++) d.publish('freeswitch.events.custom.x', enc(`e${i}`), { onDroppedAfterSend: (_s, data) => lost.push(dec(data)) });
  assert.deepEqual(lost, ['e0', 'e1', 'e2']);
  assert.equal(d.stats().pending, 2);
  await within(d.close(), 10_000, 'close waited for the start grace');
});

void test('zmq: start_grace must be milliseconds', async () => {
  await assert.rejects(createDriver('zmq', { urls: ['zmq://127.0.0.1:5555?start_grace=soon'] }), /start_grace/);
});
