// myevents against @fsbus/sim, which answers it as mod_event_socket does: inbound
// `myevents <uuid>` without a format word is accepted even for a channel that does not exist
// (and then passes every channel's events), with one it is refused; a second myevents on an
// outbound socket is refused with `-ERR aready enabled.`.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslClient, EslCommandError, EslEvent, type EslClientStatus } from '../src/index.js';
import { bounded, eventWhere } from './support/scripted-peer.js';
import { withOutboundSession } from './support/sim-outbound.js';
import { coreEvent, originated } from './support/sim-inbound.js';

const FAST = { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 };

void test('sim: myevents <uuid> of a channel gone while disconnected is refused on re-apply, reported, and forgotten with divert_events', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const watcher = new EslClient({ port, reconnect: FAST });
  try {
    await watcher.connect();
    const mine = originated(await watcher.api('originate loopback/7001 &park()'));
    // The marker carries a Unique-ID: a sessionless myevents would pass it too, so it proves nothing either way.
    await watcher.events('plain', ['CUSTOM', 'fsbus::marker']);
    assert.equal((await watcher.myevents(mine)).replyText, '+OK Events Enabled');
    await watcher.divertEvents(true);
    const errors: Error[] = [];
    watcher.on('error', (err) => errors.push(err));
    const seen: string[] = [];
    watcher.on('event', (e) => seen.push(`${e.name} ${e.uuid ?? ''}`));

    // The socket goes down; the watched call ends meanwhile; the socket comes back.
    const disconnected = eventWhere<EslClientStatus>(watcher, 'status', (s) => s === 'disconnected');
    await sim.control.stopListener();
    await bounded(disconnected, 'the disconnect');
    const destroyed = coreEvent(sim, (e) => e.name === 'CHANNEL_DESTROY' && e.uuid === mine);
    await sim.core.api('uuid_kill', mine);
    await bounded(destroyed, 'the end of the watched call');
    const ready = eventWhere<EslClientStatus>(watcher, 'status', (s) => s === 'ready');
    await sim.control.startListener();
    await bounded(ready, 'the reconnect');

    // One error: the refused myevents. divert_events, which needs it, is not sent at all.
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
    const err = errors[0]!;
    assert.ok(err instanceof EslCommandError);
    assert.equal(err.reply, '-ERR invalid uuid');
    assert.match(err.message, new RegExp(`myevents ${mine} plain`));

    // Another call: none of its events may reach the watcher (a sessionless myevents would pass them all).
    const other = originated(await watcher.api('originate loopback/7001 &park()'));
    const otherGone = coreEvent(sim, (e) => e.name === 'CHANNEL_DESTROY' && e.uuid === other);
    await watcher.api(`uuid_kill ${other}`);
    await bounded(otherGone, 'the end of the other call');
    const marker = eventWhere<EslEvent>(watcher, 'custom::fsbus::marker', () => true);
    await watcher.sendevent(EslEvent.create('CUSTOM', 'fsbus::marker').addHeader('Unique-ID', 'marker'));
    await bounded(marker, 'the marker');
    assert.deepEqual(seen, ['CUSTOM marker']);

    // Forgotten: the next reconnect does not try it again.
    const again = eventWhere<EslClientStatus>(watcher, 'status', (s) => s === 'ready');
    assert.ok(sim.control.dropConnections() >= 1);
    await bounded(again, 'the second reconnect');
    assert.equal(errors.length, 1);

    // Asked directly, the gone channel is refused too (the uuid goes with a format word).
    await assert.rejects(watcher.myevents(mine), (e: unknown) => e instanceof EslCommandError && e.reply === '-ERR invalid uuid');
  } finally {
    await watcher.close();
    await sim.stop();
  }
});

void test('sim: on a single-channel outbound session whose helper turned myevents on, session.myevents() resolves as a first call would', async () => {
  await withOutboundSession(async (session) => {
    assert.equal(session.control, 'single-channel');
    await bounded(session.answer(), 'answer (turns myevents on)');
    const reply = await bounded(session.myevents(), 'myevents');
    assert.equal(reply.kind, 'command-reply');
    assert.equal(reply.replyText, '+OK Events Enabled');
    assert.equal(reply.ok, true);
    assert.equal((await bounded(session.myevents(undefined, 'plain'), 'myevents plain')).replyText, '+OK Events Enabled');
    assert.equal((await bounded(session.myevents(session.uuid), 'myevents <own uuid>')).replyText, '+OK Events Enabled');
    // The replies stay in step: nothing was sent that FreeSWITCH would answer later.
    assert.equal(await bounded(session.getVariable('caller_id_number'), 'getvar'), '7001');
    const played = await bounded(session.playback('tone_stream://%(20,0,440)'), 'playback');
    assert.equal(played.getHeader('Application'), 'playback');
  }, 'async');
});
