// What reaches the user's listeners and iterators, against @fsbus/sim: the result events
// bgapi/execute subscribe to for themselves stay with their waiters unless the user's own
// subscription delivers them; iterators end on an AbortSignal and queue concurrent next() calls.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslEvent, type EventIterator } from '../src/index.js';
import { bounded, eventWhere } from './support/scripted-peer.js';
import { withOutboundSession } from './support/sim-outbound.js';
import { coreEvent, originated, withSim } from './support/sim-inbound.js';

/** The names of what the iterator holds now (its events were pushed as they were dispatched). */
async function drain(it: EventIterator): Promise<string[]> {
  const out: string[] = [];
  while (it.size > 0) out.push((await it.next()).value!.name);
  return out;
}

const SELF = ['BACKGROUND_JOB', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP_COMPLETE'];

void test("sim: bgapi/execute results the user did not subscribe to reach their promises only, not 'event', by-name, channel listeners or iterators", async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CHANNEL_ANSWER']);
    const seen: string[] = [];
    client.on('event', (e) => seen.push(e.name));
    const byName: string[] = [];
    for (const name of SELF) client.on(name, (e: EslEvent) => byName.push(e.name));
    const it = client.iterate();
    assert.equal((await bounded(client.bgapi('echo hello'), 'bgapi')).body, 'hello');
    const uuid = originated(await client.api('originate loopback/7001 &park()'));
    const onChannel: string[] = [];
    client.onChannel(uuid, (e) => onChannel.push(e.name));
    const done = await bounded(client.execute(uuid, 'set', 'a=b'), 'execute set');
    assert.equal(done.getHeader('Application'), 'set');
    // An application that never runs: the hangup (CHANNEL_HANGUP_COMPLETE) ends the wait.
    await assert.rejects(bounded(client.execute(uuid, 'no_such_app_xyz'), 'execute of an unknown app'), /hung up/);
    // Every result was dispatched before its promise settled: what the listeners hold is final.
    const iterated = await drain(it);
    for (const list of [seen, iterated, onChannel]) for (const name of list) assert.equal(name, 'CHANNEL_ANSWER', list.join(','));
    assert.deepEqual(byName, []);
    assert.ok(client.stats.eventsReceived >= 3);

    // Subscribed by the user, the same results do reach the listeners.
    await client.events('plain', ['BACKGROUND_JOB']);
    await bounded(client.bgapi('echo again'), 'bgapi while subscribed');
    assert.deepEqual(byName, ['BACKGROUND_JOB']);
    assert.deepEqual((await drain(it)).filter((n) => n !== 'CHANNEL_ANSWER'), ['BACKGROUND_JOB']);
    it.end();
  });
});

void test("sim: an outbound 'full' session waiting on execute does not pass other channels' completions (its own switch-wide subscription) to its listeners", async () => {
  await withOutboundSession(async (session, client, sim) => {
    assert.equal(session.control, 'full');
    const seen: string[] = [];
    session.on('event', (e) => seen.push(`${e.name} of ${e.uuid ?? ''}`));
    const it = session.iterate();
    const other = originated(await client.api('originate loopback/7001 &park()'));
    // The digits wait holds the session's execute open while the other call runs and ends.
    const started = coreEvent(sim, (e) => e.name === 'CHANNEL_EXECUTE' && e.uuid === session.uuid && e.headers.some(([n, v]) => n === 'Application' && v === 'play_and_get_digits'));
    const digits = session.playAndGetDigits({ min: 1, max: 1, tries: 1, timeoutMs: 60_000, file: 'silence_stream://0' }, { timeoutMs: 20_000 });
    await bounded(started, 'play_and_get_digits started');
    await bounded(client.execute(other, 'set', 'x=1'), 'execute on the other call');
    const otherGone = coreEvent(sim, (e) => e.name === 'CHANNEL_DESTROY' && e.uuid === other);
    await client.api(`uuid_kill ${other}`);
    await bounded(otherGone, 'the end of the other call');
    // Only now the session's application completes: the other call's events came before.
    assert.ok(sim.core.control.sendDigits(session.uuid, '5'));
    assert.equal(await bounded(digits, 'the digits'), '5');
    assert.deepEqual(seen, []);
    assert.deepEqual(await drain(it), []);
    it.end();
  });
});

void test("sim: an outbound session's myevents passes its own channel's completions only, even those of other channels its switch-wide self-subscription queued before", async () => {
  await withOutboundSession(async (session, client, sim) => {
    const seen: string[] = [];
    session.on('event', (e) => seen.push(`${e.name} of ${e.uuid === session.uuid ? 'own' : (e.uuid ?? '')}`));
    const other = originated(await client.api('originate loopback/7001 &park()'));
    const started = coreEvent(sim, (e) => e.name === 'CHANNEL_EXECUTE' && e.uuid === session.uuid && e.headers.some(([n, v]) => n === 'Application' && v === 'play_and_get_digits'));
    const digits = session.playAndGetDigits({ min: 1, max: 1, tries: 1, timeoutMs: 60_000, file: 'silence_stream://0' }, { timeoutMs: 20_000 });
    await bounded(started, 'play_and_get_digits started');
    // The other call ends while FreeSWITCH holds the session's events back (a busy socket): its
    // completions, queued under the library's switch-wide subscription, come after myevents' reply.
    sim.control.pauseEvents();
    const otherGone = coreEvent(sim, (e) => e.name === 'CHANNEL_DESTROY' && e.uuid === other);
    await client.api(`uuid_kill ${other}`);
    await bounded(otherGone, 'the end of the other call');
    assert.equal((await bounded(session.myevents(), 'myevents')).replyText, '+OK Events Enabled');
    sim.control.resumeEvents();
    assert.ok(sim.core.control.sendDigits(session.uuid, '5'));
    assert.equal(await bounded(digits, 'the digits'), '5');
    assert.ok(seen.includes('CHANNEL_EXECUTE_COMPLETE of own'), seen.join(', '));
    assert.deepEqual(seen.filter((s) => !s.endsWith(' of own')), []);
  });
});

void test('sim: iterate({ signal }) ends on abort: a pending and every later next() resolve done, queued events are dropped, nothing more is queued', async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::demo']);
    const ac = new AbortController();
    const it = client.iterate({ names: ['custom::fsbus::demo'], signal: ac.signal });
    const first = eventWhere<EslEvent>(client, 'custom::fsbus::demo', () => true);
    await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::demo').addHeader('n', '1'));
    await bounded(first, 'the first event');
    assert.equal((await it.next()).value?.getHeader('n'), '1');
    const pending = it.next();
    ac.abort();
    assert.deepEqual(await bounded(pending, 'the pending next() after abort'), { value: undefined, done: true });
    assert.equal(it.ended, true);
    const second = eventWhere<EslEvent>(client, 'custom::fsbus::demo', () => true);
    await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::demo').addHeader('n', '2'));
    await bounded(second, 'the second event');
    assert.equal(it.size, 0);
    assert.equal(it.dropped, 0);
    assert.deepEqual(await it.next(), { value: undefined, done: true });

    // Aborted with events queued: they are discarded.
    const ac2 = new AbortController();
    const queued = client.iterate({ names: ['custom::fsbus::demo'], signal: ac2.signal });
    const third = eventWhere<EslEvent>(client, 'custom::fsbus::demo', () => true);
    await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::demo').addHeader('n', '3'));
    await bounded(third, 'the third event');
    assert.equal(queued.size, 1);
    ac2.abort();
    assert.deepEqual(await queued.next(), { value: undefined, done: true });

    // Already aborted: done from the start.
    const dead = client.iterate({ signal: AbortSignal.abort() });
    assert.equal(dead.ended, true);
    assert.deepEqual(await dead.next(), { value: undefined, done: true });
  });
});

void test('sim: concurrent next() calls on an iterator queue up and resolve with the next events in turn', async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::demo']);
    const it = client.iterate({ names: ['custom::fsbus::demo'] });
    const a = it.next();
    const b = it.next();
    const c = it.next();
    for (const n of ['1', '2']) await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::demo').addHeader('n', n));
    assert.equal((await bounded(a, 'the first next()')).value?.getHeader('n'), '1');
    assert.equal((await bounded(b, 'the second next()')).value?.getHeader('n'), '2');
    await it.return();
    assert.deepEqual(await bounded(c, 'the third next() after return()'), { value: undefined, done: true });
  });
});
