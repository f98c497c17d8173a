// A message on an event subscription that is not an fsbus event is skipped but not silently: the
// stream counts it (`stream.malformed`) and hands it to `onMalformed` with
// FSBUS_ERR_CLIENT_BAD_EVENT, and goes on delivering. An execute_app completion wait that gets
// such a message on its forward_to subject fails with that error instead of waiting it out.
// The publisher is a raw @nats-io/transport-node connection on a real nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { encodeReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { ClientError, ClientErrorCode, connect, type BusEvent, type EventStream, type FsbusClient, type MalformedEvent } from '../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const SUBJECT = 'freeswitch.events.custom.x';

/** The stream's next event (its end fails the test). */
async function nextEvent(stream: EventStream): Promise<BusEvent> {
  const r = await stream.next();
  assert.equal(r.done, false, 'the stream ended');
  return r.value;
}

const event = (name: string, uuid?: string): Uint8Array =>
  enc(JSON.stringify({ event_name: name, timestamp: 1, node_id: 'n1', headers: { 'Event-Name': name }, ...(uuid === undefined ? {} : { uuid }) }));

/** What the bad publisher sends, and what the error must say about it. */
const BAD: ReadonlyArray<{ body: Uint8Array; problem: RegExp }> = [
  { body: enc('not json'), problem: /is not JSON/ },
  { body: enc('[]'), problem: /is JSON but an array, not an event object/ },
  { body: enc('{"event_name":5}'), problem: /event_name is not a string \(got a number\); no node_id, headers$/ },
  { body: Uint8Array.from([0xff, 0x00]), problem: /is not UTF-8 text/ },
];

function assertReported(seen: readonly MalformedEvent[]): void {
  assert.equal(seen.length, BAD.length, seen.map((m) => m.error.message).join(' | '));
  BAD.forEach((want, i) => {
    const got = seen[i]!;
    assert.equal(got.subject, SUBJECT);
    assert.ok(Buffer.from(got.data).equals(Buffer.from(want.body)), 'its bytes as they came');
    assert.ok(got.error instanceof ClientError);
    assert.equal(got.error.code, ClientErrorCode.BAD_EVENT);
    assert.match(got.error.message, new RegExp(`^events: a message on ${SUBJECT.replaceAll('.', '\\.')} is not an fsbus event: `));
    assert.match(got.error.message, want.problem);
  });
}

void describe('@fsbus/client: malformed events are counted and reported, not silently skipped', () => {
  let nats: NatsServerHandle;
  let raw: NatsConnection;
  let bus: FsbusClient;
  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    raw = await natsConnect({ servers: nats.url, name: 'bad-publisher' });
    bus = await connect({ servers: nats.url });
  });
  after(async () => {
    await bus?.close();
    await raw?.close();
    await nats?.stop();
  });

  void it('a live stream: the valid event is delivered, the four bad ones counted and handed to onMalformed, the stream goes on', async () => {
    const seen: MalformedEvent[] = [];
    const stream = bus.events('>', { onMalformed: (m) => seen.push(m) });
    const plain = bus.events('custom.x');
    try {
      await Promise.all([stream.ready, plain.ready]);
      for (const b of BAD) raw.publish(SUBJECT, b.body);
      raw.publish(SUBJECT, event('CUSTOM', 'first'));
      await raw.flush();
      assert.equal((await nextEvent(stream)).uuid, 'first');
      assert.equal(stream.malformed, BAD.length);
      assert.equal(stream.received, 1, 'malformed events are not counted as received');
      assertReported(seen);
      // Not ended by them.
      raw.publish(SUBJECT, event('CUSTOM', 'second'));
      assert.equal((await nextEvent(stream)).uuid, 'second');
      assert.equal(stream.closed, false);
      // Without a hook they are still counted, per stream.
      assert.equal((await nextEvent(plain)).uuid, 'first');
      assert.equal(plain.malformed, BAD.length);
    } finally {
      await stream.close();
      await plain.close();
    }
  });

  void it('an onMalformed that is not a function is refused before anything is subscribed', () => {
    assert.throws(() => bus.events('>', { onMalformed: 'log' as never }), { code: ClientErrorCode.INVALID_ARGUMENT, message: 'onMalformed must be a function, got "log"' });
  });

  void it('a stream whose onMalformed throws fails with that error (the hook bug is not lost either)', async () => {
    const boom = new Error('hook bug');
    const stream = bus.events('custom.x', {
      onMalformed: () => {
        throw boom;
      },
    });
    await stream.ready;
    raw.publish(SUBJECT, enc('not json'));
    raw.publish(SUBJECT, event('CUSTOM', 'after'));
    await assert.rejects(stream.next(), (err) => err === boom);
    assert.equal(stream.malformed, 1);
    assert.equal(stream.closed, true);
  });

  void it('a replay from the stream: bad events counted and reported too (and acknowledged: they never become good)', async () => {
    const admin = await createDriver('nats', { urls: [nats.url], name: 'admin' });
    await admin.connect();
    await admin.ensureStream({ name: 'FREESWITCH_EVENTS', subjects: ['freeswitch.events.>'], storage: 'memory' });
    await admin.close();
    const js = jetstream(raw);
    for (const b of BAD) await js.publish(SUBJECT, b.body);
    await js.publish(SUBJECT, event('CUSTOM', 'stored'));
    const seen: MalformedEvent[] = [];
    const stream = bus.events('custom.x', { from: 'all', onMalformed: (m) => seen.push(m) });
    try {
      assert.equal((await nextEvent(stream)).uuid, 'stored');
      assert.equal(stream.malformed, BAD.length);
      assertReported(seen);
      assert.deepEqual(
        seen.map((m) => m.sequence),
        [1, 2, 3, 4],
      );
    } finally {
      await stream.close();
    }
  });

  void it('executeApp: a malformed message on the forward_to subject fails `complete` with BAD_EVENT, not a wait for the timeout', async () => {
    const lane = raw.subscribe('freeswitch.api', {
      callback: (_err, m) => {
        const body = JSON.parse(new TextDecoder().decode(m.data)) as { forward_to: string };
        m.respond(encodeReply(successReply({ nodeId: 'n1', message: 'ok', data: { application_uuid: 'app-1' } })));
        raw.publish(body.forward_to, enc('<completion/>'));
        // A good completion after it: the wait has already failed, at once, on the first.
        raw.publish(body.forward_to, event('CHANNEL_EXECUTE_COMPLETE'));
      },
    });
    await raw.flush();
    try {
      const r = await bus.executeApp({ uuid: 'u1', app: 'answer', waitForComplete: true });
      await assert.rejects(r.complete, (err: unknown) => {
        assert.ok(err instanceof ClientError);
        assert.equal(err.code, ClientErrorCode.BAD_EVENT);
        assert.match(err.message, /^execute_app: a message on _INBOX\.fsbus_[0-9a-f]+\.\d+ is not an fsbus event or reply envelope: it is not JSON/);
        return true;
      });
    } finally {
      lane.unsubscribe();
    }
  });
});
