/**
 * mod_event_zmq compatibility mode (`?mode=mod_event_zmq`) next to fsbus clients:
 *  - a mod_event_zmq consumer (SUB to "", json.loads of each one-frame message) never sees
 *    anything but events: the agent echoes no subscription markers in that mode;
 *  - an fsbus client cannot read those events (no subject frame): its subscription is refused,
 *    typed (FSBUS_ERR_TRANSPORT_UNSUPPORTED, naming the mode), not silently empty. It learns the
 *    agent's event format from the agent's LANES (header `fsbus-events`).
 */
import { test, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { setImmediate as tick } from 'node:timers/promises';
import { Subscriber } from 'zeromq';
import { freePort } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { enc } from './conformance/helpers.js';

async function compatAgent(t: TestContext): Promise<{ agent: Driver; url: string; events: string }> {
  const events = await freePort();
  const url = `zmq://127.0.0.1:${await freePort()}?events=${events}&mode=mod_event_zmq`;
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'freeswitch.api', competing: true }, () => enc('ok'));
  await agent.flush();
  return { agent, url, events: `tcp://127.0.0.1:${events}` };
}

const event = (subclass: string): Uint8Array =>
  enc(JSON.stringify({ event_name: 'CUSTOM', timestamp: 1, node_id: 'n1', uuid: null, headers: { 'Event-Name': 'CUSTOM', 'Event-Subclass': subclass }, body: null }));

/**
 * A plain SUB to "" on a compat agent, subscribed for sure: there is no marker echo to wait for, so
 * probe events go out until one arrives (driven by what arrives, not by time).
 */
async function plainSub(t: TestContext, agent: Driver, events: string): Promise<Subscriber> {
  const sub = new Subscriber({ linger: 0 });
  t.after(() => sub.close());
  sub.connect(events);
  sub.subscribe();
  let arrived = false;
  const first = sub.receive().then(() => (arrived = true));
  while (!arrived) {
    agent.publish('freeswitch.events.custom.probe', event('probe'));
    await agent.flush();
    await tick();
  }
  await first;
  return sub;
}

void test('zmq mod_event_zmq mode: a plain SUB sees only one-frame JSON events while an fsbus client subscribes', async (t) => {
  const { agent, url, events } = await compatAgent(t);
  const old = await plainSub(t, agent, events);
  const client = await createDriver('zmq', { urls: [url], name: 'client' });
  t.after(() => client.close());
  await client.connect();
  // The client's subscription (and its marker) reaches the agent; it is refused (see below).
  client.subscribe('freeswitch.events.>', () => undefined);
  await client.flush().catch(() => undefined);
  agent.publish('freeswitch.events.custom.end', event('end'));
  for (;;) {
    const frames = await old.receive();
    assert.equal(frames.length, 1, `a mod_event_zmq consumer got ${frames.length} frames: ${frames.map((f) => f.toString()).join(' | ')}`);
    const e = JSON.parse(frames[0]!.toString()) as Record<string, string>;
    if (e['Event-Subclass'] === 'end') break;
    assert.equal(e['Event-Subclass'], 'probe');
  }
});

void test('zmq mod_event_zmq mode: an fsbus client subscribing to the agent is refused, typed, not left with nothing', async (t) => {
  const { url } = await compatAgent(t);
  const client = await createDriver('zmq', { urls: [url], name: 'client' });
  t.after(() => client.close());
  await client.connect();
  const refused = { code: TransportErrorCode.UNSUPPORTED, message: /mode=mod_event_zmq.*native mode/ };
  const first = client.subscribe('freeswitch.events.channel.>', () => undefined);
  // Before the agent's format is known the subscription is made; flush() (the SDK's next step) says no.
  await assert.rejects(client.flush(), refused);
  // Known now: refused at once.
  assert.throws(() => client.subscribe('freeswitch.events.>', () => undefined), refused);
  // Requests to that agent still work, and flush() once the refused subscription is gone.
  assert.equal(new TextDecoder().decode((await client.request('freeswitch.api', enc('x'), { timeoutMs: 5000 })).data), 'ok');
  await first.unsubscribe();
  await client.flush();
});

void test('zmq native mode: a client subscribing to the agent is not refused, and gets events', async (t) => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'freeswitch.api', competing: true }, () => enc('ok'));
  await agent.flush();
  const client = await createDriver('zmq', { urls: [url], name: 'client' });
  t.after(() => client.close());
  await client.connect();
  const got = new Promise<string>((resolve) => client.subscribe('freeswitch.events.>', (m) => resolve(m.subject)));
  await client.flush();
  agent.publish('freeswitch.events.custom.x', event('x'));
  assert.equal(await got, 'freeswitch.events.custom.x');
});
