// The inbound client against @fsbus/sim, the FreeSWITCH simulator, in-process on port 0.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslClient, EslEvent, EslServer, type EslClientStatus, type EslSession } from '../src/index.js';
import { bounded, eventWhere, nextEvent } from './support/scripted-peer.js';
import { withSim } from './support/sim-inbound.js';

const FAST = { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 };
/** A client that reconnects quickly (tests drop its connection). */
const withReconnectingSim = (fn: Parameters<typeof withSim>[0]): Promise<void> => withSim(fn, FAST);

void test('sim: api status and an unknown command', async () => {
  await withReconnectingSim(async (_sim, client) => {
    assert.match(await client.api('status'), /is ready/);
    assert.match(await client.api('no_such_command_xyz'), /^-ERR no_such_command_xyz Command not found!/);
  });
});

void test('sim: bgapi resolves from BACKGROUND_JOB, with and without a user filter', async () => {
  await withReconnectingSim(async (_sim, client) => {
    const plain = await bounded(client.bgapi('echo job body'), 'bgapi');
    assert.equal(plain.body, 'job body');
    await client.events('plain', ['CHANNEL_ANSWER']);
    await client.filter('Unique-ID', '00000000-0000-0000-0000-000000000000');
    const filtered = await bounded(client.bgapi('echo filtered', { jobUuid: '11111111-2222-3333-4444-555555555555' }), 'bgapi under a filter');
    assert.deepEqual(filtered, { jobUuid: '11111111-2222-3333-4444-555555555555', body: 'filtered' });
  });
});

void test('sim: events of an originated call, and execute on the parked call', async () => {
  await withReconnectingSim(async (_sim, client) => {
    await client.events('plain', ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_PARK', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP_COMPLETE']);
    const parked = eventWhere<EslEvent>(client, 'CHANNEL_PARK', () => true);
    const reply = await bounded(client.api('originate loopback/7001 &park()'), 'originate');
    assert.match(reply, /^\+OK /);
    // Either leg of the loopback call may park first; execute on the one that did.
    const park = await bounded(parked, 'CHANNEL_PARK');
    const target = park.uuid;
    assert.ok(target !== undefined);
    const done = await bounded(client.execute(target, 'set', 'fsbus_test=yes'), 'execute set');
    assert.equal(done.getHeader('Application'), 'set');
    assert.equal(done.uuid, target);
    assert.equal(await client.api(`uuid_getvar ${target} fsbus_test`), 'yes');
    const hungUp = eventWhere<EslEvent>(client, 'CHANNEL_HANGUP_COMPLETE', (e) => e.uuid === target);
    await client.api(`uuid_kill ${target}`);
    await bounded(hungUp, 'hangup complete');
  });
});

void test('sim: execute of an application that never runs (unknown name: the channel is hung up) rejects with the hangup, unsubscribed', async () => {
  await withReconnectingSim(async (_sim, client) => {
    // The user subscribes to nothing: the client subscribes itself to what ends the wait.
    const reply = await bounded(client.api('originate loopback/7001 &park()'), 'originate');
    const uuid = /^\+OK (\S+)/.exec(reply)?.[1];
    assert.ok(uuid !== undefined, reply);
    await assert.rejects(bounded(client.execute(uuid, 'no_such_app_xyz'), 'execute of an unknown app'), /hung up \(DESTINATION_OUT_OF_ORDER\) before no_such_app_xyz completed/);
  });
});

void test("sim: a bgapi pending while the user turns events off (noevents, nixevent ALL or the job's own event) still gets its result", async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  try {
    const variants: Array<[string[], (c: EslClient) => Promise<unknown>]> = [
      [['ALL'], (c) => c.noevents()],
      [['ALL'], (c) => c.nixevent(['ALL'])],
      [['ALL'], (c) => c.nixevent(['BACKGROUND_JOB'])],
      [['BACKGROUND_JOB'], (c) => c.nixevent(['BACKGROUND_JOB'])],
      [[], (c) => c.events('plain', ['HEARTBEAT']).then(() => c.noevents())],
    ];
    await Promise.all(
      variants.map(async ([subscribed, turnOff]) => {
        const client = new EslClient({ port });
        await client.connect();
        try {
          if (subscribed.length > 0) await client.events('plain', subscribed);
          // Rings more than a second (the timeout counts whole epoch seconds: 2 ends in (1, 2] s),
          // then fails: its BACKGROUND_JOB comes well after the events go off.
          const job = client.bgapi('originate {originate_timeout=2}loopback/7006 &park()');
          await turnOff(client);
          const { body } = await bounded(job, `the job after ${subscribed.join(',') || 'nothing'}`);
          assert.match(body, /^-ERR /);
        } finally {
          await client.close();
        }
      }),
    );
  } finally {
    await sim.stop();
  }
});

/** An EslServer the simulator's loopback/7001 call dials with `socket <addr> <mode>`; `fn` gets its session. */
async function withOutboundSession(mode: string, server: EslServer, fn: (session: EslSession) => Promise<void>): Promise<void> {
  await withReconnectingSim(async (_sim, client) => {
    const { port } = await server.listen();
    try {
      const sessionP = nextEvent<[EslSession]>(server, 'session');
      await client.bgapi(`originate loopback/7001 &socket(127.0.0.1:${port}${mode === '' ? '' : ` ${mode}`})`);
      const [session] = await bounded(sessionP, 'the outbound session');
      await fn(session);
      session.destroy();
    } finally {
      await server.close();
    }
  });
}

void test("sim: an outbound socket without 'full' (FreeSWITCH refuses 'event' there): execute turns on myevents and completes", async () => {
  await withOutboundSession('async', new EslServer({ port: 0 }), async (session) => {
    assert.notEqual(session.control, 'full');
    const done = await bounded(session.answer(), 'answer on a single-channel socket');
    assert.equal(done.getHeader('Application'), 'answer');
  });
});

void test('sim: a static outbound socket answers an execute after the application ran; it is not cut at requestTimeoutMs', async () => {
  // The playback (300 ms) outlasts requestTimeoutMs six times before FreeSWITCH's +OK.
  await withOutboundSession('', new EslServer({ port: 0, requestTimeoutMs: 50 }), async (session) => {
    assert.equal(session.socketMode, 'static');
    await bounded(session.answer(), 'answer');
    const played = await bounded(session.playback('tone_stream://%(300,0,440)'), 'playback');
    assert.equal(played.getHeader('Application-Response'), 'FILE PLAYED');
  });
});

void test('sim: reconnects after the simulator drops the connection and re-subscribes', async () => {
  await withReconnectingSim(async (sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::demo']);
    const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
    assert.ok(sim.control.dropConnections() >= 1);
    await bounded(ready, 'the reconnect');
    assert.equal(client.stats.reconnects, 1);
    const custom = eventWhere<EslEvent>(client, 'custom::fsbus::demo', () => true);
    await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::demo').addHeader('x-n', '1').setBody('hi'));
    const got = await bounded(custom, 'the custom event after reconnect');
    assert.equal(got.getHeader('x-n'), '1');
    assert.equal(got.body, 'hi');
    assert.match(await client.api('status'), /is ready/);
  });
});
