// Subscriptions and filters read as mod_event_socket reads them, against @fsbus/sim (which keeps
// FreeSWITCH's listener rules): event names in any case, every word after CUSTOM a subclass,
// myevents' fixed list, and the filters bgapi/execute add for themselves only while the user has some.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClient, EslEvent, type EslClientStatus } from '../src/index.js';
import { SubscriptionState } from '../src/subscription-state.js';
import { TypedEmitter } from '../src/typed-emitter.js';
import { bounded, eventWhere } from './support/scripted-peer.js';
import { withOutboundSession } from './support/sim-outbound.js';
import { withSim } from './support/sim-inbound.js';

/** A client that reconnects quickly (tests drop its connection). */
const withReconnectingSim = (fn: Parameters<typeof withSim>[0]): Promise<void> => withSim(fn, FAST);

const FAST = { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 };
/** Rings for 60 s before anyone answers: a bgapi that stays pending until the test hangs it up. */
const SLOW_JOB = 'originate {originate_timeout=30}loopback/7006 &park()';

/**
 * Starts a bgapi that stays pending (the call rings for 60 s) and resolves once its channel
 * exists; `end()` hangs it up, which ends the job with `-ERR`.
 */
async function slowJob(client: EslClient, port: number): Promise<{ job: Promise<{ body: string }>; end: () => Promise<void> }> {
  const watcher = new EslClient({ port });
  await watcher.connect();
  try {
    await watcher.events('plain', ['CHANNEL_CREATE']);
    const created = eventWhere<EslEvent>(watcher, 'CHANNEL_CREATE', () => true);
    const job = client.bgapi(SLOW_JOB, { timeoutMs: 20_000 });
    job.catch(() => undefined); // awaited by the test; this only keeps an early failure from going unhandled
    await bounded(created, "the slow job's channel");
    return { job, end: async () => void (await client.api('hupall')) };
  } finally {
    await watcher.close();
  }
}

/** Sends a CUSTOM event from a second connection and waits until `client` receives it. */
async function customArrives(client: EslClient, port: number, subclass: string, what: string): Promise<void> {
  const other = new EslClient({ port });
  await other.connect();
  try {
    const got = eventWhere<EslEvent>(client, `custom::${subclass}`, () => true);
    await other.sendevent(EslEvent.create('CUSTOM', subclass).addHeader('x-n', '1'));
    await bounded(got, what);
  } finally {
    await other.close();
  }
}

void test('state: names in any case, CUSTOM subclasses only after CUSTOM, unknown names ignored, CUSTOM replayed last', () => {
  const s = new SubscriptionState();
  s.onEvents('plain', ['channel_answer', 'SWITCH_EVENT_HEARTBEAT', 'no_such_event', 'CUSTOM', 'sofia::register', 'BACKGROUND_JOB']);
  assert.equal(s.isSubscribed('CHANNEL_ANSWER'), true);
  assert.equal(s.isSubscribed('HEARTBEAT'), true);
  // After CUSTOM, FreeSWITCH files BACKGROUND_JOB as a subclass name.
  assert.equal(s.isSubscribed('BACKGROUND_JOB'), false);
  assert.deepEqual(s.replayCommands(), ['event plain CHANNEL_ANSWER HEARTBEAT CUSTOM sofia::register BACKGROUND_JOB']);

  const all = new SubscriptionState();
  all.onEvents('json', ['all']);
  assert.equal(all.isSubscribed('BACKGROUND_JOB'), true);
  all.onNixevent(['dtmf']);
  assert.equal(all.isSubscribed('DTMF'), false);
  assert.deepEqual(all.replayCommands(), ['event json ALL', 'nixevent DTMF']);
});

void test('state: nixevent CUSTOM removes subclasses only; nixevent ALL keeps them for a later CUSTOM; noevents forgets them', () => {
  const s = new SubscriptionState();
  s.onEvents('plain', ['CUSTOM', 'a::x', 'b::y']);
  s.onNixevent(['CUSTOM', 'a::x']);
  assert.deepEqual(s.replayCommands(), ['event plain CUSTOM b::y']);
  s.onNixevent(['ALL']);
  s.onEvents('plain', ['DTMF']);
  assert.deepEqual(s.replayCommands(), ['event plain CUSTOM b::y', 'nixevent ALL', 'event plain DTMF']);
  s.onNoevents();
  assert.deepEqual(s.replayCommands(), []);
});

void test('state: myevents turns on its fixed list, which has no BACKGROUND_JOB', () => {
  const s = new SubscriptionState();
  s.myevents = 'myevents';
  assert.equal(s.isSubscribed('CHANNEL_EXECUTE_COMPLETE'), true);
  assert.equal(s.isSubscribed('BACKGROUND_JOB'), false);
});

void test('sim: events("plain", ["all"]) — a bgapi leaves the subscription whole, and a reconnect restores ALL', async () => {
  await withReconnectingSim(async (sim, client, port) => {
    await client.events('plain', ['all']);
    assert.equal((await bounded(client.bgapi('echo mine'), 'our bgapi')).body, 'mine');
    // Another connection's job: we receive its BACKGROUND_JOB only if ALL is still whole.
    const other = new EslClient({ port });
    await other.connect();
    try {
      const theirs = eventWhere<EslEvent>(client, 'BACKGROUND_JOB', (e) => e.body === 'theirs');
      await other.bgapi('echo theirs');
      await bounded(theirs, "the other connection's BACKGROUND_JOB");
    } finally {
      await other.close();
    }
    const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
    assert.ok(sim.control.dropConnections() >= 1);
    await bounded(ready, 'the reconnect');
    await customArrives(client, port, 'fsbus::after', 'a CUSTOM event after the reconnect');
  });
});

void test('sim: a name after CUSTOM is a subclass to FreeSWITCH, so bgapi subscribes BACKGROUND_JOB itself', async () => {
  await withReconnectingSim(async (_sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::demo', 'BACKGROUND_JOB']);
    assert.equal((await bounded(client.bgapi('echo ok', { timeoutMs: 3000 }), 'bgapi')).body, 'ok');
  });
});

void test("sim: filterDelete('all') while a bgapi runs — the user's events flow unfiltered, the job still resolves", async () => {
  await withReconnectingSim(async (_sim, client, port) => {
    await client.events('plain', ['CUSTOM', 'fsbus::a']);
    await client.filter('Event-Subclass', 'fsbus::nothing');
    const { job, end } = await slowJob(client, port);
    await client.filterDelete('all');
    await customArrives(client, port, 'fsbus::a', 'a subscribed event with no filter left');
    await end();
    assert.match((await bounded(job, 'the job', 20_000)).body, /^-ERR/);
  });
});

void test('sim: deleting the last user filter while a bgapi runs lets every subscribed event through', async () => {
  await withReconnectingSim(async (_sim, client, port) => {
    await client.events('plain', ['CUSTOM', 'fsbus::a']);
    await client.filter('Event-Subclass', 'fsbus::nothing');
    const { job, end } = await slowJob(client, port);
    await client.filterDelete('Event-Subclass', 'fsbus::nothing');
    await customArrives(client, port, 'fsbus::a', 'a subscribed event after the last filter went');
    await end();
    assert.match((await bounded(job, 'the job', 20_000)).body, /^-ERR/);
  });
});

void test("sim: a first user filter added while a bgapi runs does not block the job's result", async () => {
  await withReconnectingSim(async (_sim, client, port) => {
    await client.events('plain', ['CHANNEL_ANSWER']);
    const { job, end } = await slowJob(client, port);
    await client.filter('Unique-ID', '00000000-0000-0000-0000-000000000000');
    await end();
    assert.match((await bounded(job, 'the job under the new filter', 20_000)).body, /^-ERR/);
  });
});

void test('sim: outbound session — bgapi after myevents resolves (myevents has no BACKGROUND_JOB)', async () => {
  await withOutboundSession(async (session) => {
    await session.myevents();
    assert.equal((await bounded(session.bgapi('echo from the session'), 'bgapi on the session')).body, 'from the session');
    await session.hangup('NORMAL_CLEARING');
  });
});

void test('sim: inbound myevents <uuid> — the connection owns its jobs, so bgapi resolves there too', async () => {
  await withReconnectingSim(async (_sim, client, port) => {
    const reply = await client.api('originate loopback/7001 &park()');
    const uuid = /^\+OK (\S+)/.exec(reply)?.[1];
    assert.ok(uuid !== undefined, reply);
    const watcher = new EslClient({ port });
    await watcher.connect();
    try {
      await watcher.myevents(uuid);
      assert.equal((await bounded(watcher.bgapi('echo owned', { timeoutMs: 3000 }), 'bgapi under myevents <uuid>')).body, 'owned');
    } finally {
      await watcher.close();
      await client.api(`uuid_kill ${uuid}`);
    }
  });
});

void test('once() then off() with the same function removes it (modesl-style timed waits do not leak)', () => {
  class Emitter extends TypedEmitter<{ ping: [number] }> {
    fire(n: number): void {
      this.emit('ping', n);
    }
  }
  const e = new Emitter();
  const seen: number[] = [];
  const listener = (n: number): void => void seen.push(n);
  for (let i = 0; i < 100; i++) {
    e.once('ping', listener);
    e.off('ping', listener);
  }
  assert.equal(e.listenerCount('ping'), 0);
  e.fire(1);
  assert.deepEqual(seen, []);
  e.once('ping', listener);
  e.fire(2);
  e.fire(3);
  assert.deepEqual(seen, [2]);
});
