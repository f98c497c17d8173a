// FreeSWITCH reads event names in any case (`event plain channel_answer` subscribes to
// CHANNEL_ANSWER) and sends them upper case. A listener or iterator name that is a FreeSWITCH
// event name in another case is taken as that event (normalised when it is added: nothing is
// lower-cased per event); the endpoint's own signals ('log', 'error', 'status'…) stay themselves.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslEvent } from '../src/index.js';
import { bounded, eventWhere } from './support/scripted-peer.js';
import { withSim } from './support/sim-inbound.js';

void test('sim: on/once/iterate with a lower-case event name get the upper-case events FreeSWITCH sends; off, listenerCount and listeners agree', async () => {
  await withSim(async (_sim, client) => {
    // Subscribed in lower case too, as FreeSWITCH allows.
    await client.events('plain', ['channel_park', 'channel_hangup_complete']);
    const parks: string[] = [];
    const hangups: string[] = [];
    const onPark = (e: EslEvent): void => void parks.push(e.name);
    client.on('channel_park', onPark);
    // With FreeSWITCH's SWITCH_EVENT_ prefix, as `event` reads it too.
    const prefixed: string[] = [];
    client.on('SWITCH_EVENT_CHANNEL_PARK', (e) => void prefixed.push(e.name));
    client.once('Channel_Hangup_Complete', (e) => void hangups.push(e.name));
    const it = client.iterate({ names: ['channel_park'] });
    const itPrefixed = client.iterate({ names: ['SWITCH_EVENT_CHANNEL_PARK'] });
    const parked = eventWhere<EslEvent>(client, 'event', (e) => e.name === 'CHANNEL_PARK');
    assert.match(await bounded(client.api('originate loopback/7001 &park()'), 'originate'), /^\+OK /);
    const park = await bounded(parked, 'CHANNEL_PARK');
    assert.ok(parks.length >= 1, 'the lower-case listener heard CHANNEL_PARK');
    assert.ok(parks.every((n) => n === 'CHANNEL_PARK'));
    assert.ok(prefixed.length >= 1 && prefixed.every((n) => n === 'CHANNEL_PARK'), 'the SWITCH_EVENT_ listener heard CHANNEL_PARK');
    assert.equal((await bounded(it.next(), 'the iterator')).value?.name, 'CHANNEL_PARK');
    await it.return();
    assert.equal((await bounded(itPrefixed.next(), 'the SWITCH_EVENT_ iterator')).value?.name, 'CHANNEL_PARK');
    await itPrefixed.return();
    assert.equal(client.listenerCount('CHANNEL_PARK'), 2);
    assert.equal(client.listenerCount('channel_park'), 2);
    assert.equal(client.listenerCount('switch_event_channel_park'), 2);
    assert.equal(client.listeners('CHANNEL_PARK')[0], onPark);
    client.off('Channel_Park', onPark);
    assert.equal(client.listenerCount('CHANNEL_PARK'), 1, 'off() in yet another case removed it');
    client.removeAllListeners('SWITCH_EVENT_CHANNEL_PARK');
    assert.equal(client.listenerCount('CHANNEL_PARK'), 0);
    const target = park.uuid;
    assert.ok(target !== undefined);
    const hungUp = eventWhere<EslEvent>(client, 'CHANNEL_HANGUP_COMPLETE', (e) => e.uuid === target);
    await client.api(`uuid_kill ${target}`);
    await bounded(hungUp, 'hangup complete');
    assert.ok(hangups.length === 1 && hangups[0] === 'CHANNEL_HANGUP_COMPLETE', 'the mixed-case once listener fired once');
  });
});

void test("signal names keep their case: 'log' is the log/data frame signal, not LOG events; 'LOG' is the event", async () => {
  await withSim(async (_sim, client) => {
    const signal = (): void => undefined;
    client.on('log', signal);
    client.on('error', signal);
    client.on('status', signal);
    assert.equal(client.listenerCount('LOG'), 0);
    assert.equal(client.listenerCount('log'), 1);
    client.on('LOG', signal);
    assert.equal(client.listenerCount('LOG'), 1);
    assert.equal(client.listenerCount('log'), 1);
    // A name that is no FreeSWITCH event keeps its case (CUSTOM subclasses, a later FreeSWITCH's names).
    client.on('custom::Fsbus::Demo', signal);
    assert.equal(client.listenerCount('custom::Fsbus::Demo'), 1);
    assert.equal(client.listenerCount('CUSTOM::FSBUS::DEMO'), 0);
    client.on('custom', signal);
    assert.equal(client.listenerCount('CUSTOM'), 1);
  });
});

void test("sim: a CUSTOM listener spelt modesl's way ('CUSTOM::my::sub', prefix in any case) hears its subclass; iterate, off and listenerCount agree", async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CUSTOM', 'my::sub', 'fsbus::DTMF']);
    const upper: Array<string | undefined> = [];
    const mixed: Array<string | undefined> = [];
    const onUpper = (e: EslEvent): void => void upper.push(e.subclass);
    client.on('CUSTOM::my::sub', onUpper);
    client.on('Custom::my::sub', (e) => void mixed.push(e.subclass));
    assert.equal(client.listenerCount('custom::my::sub'), 2);
    const it = client.iterate({ names: ['CUSTOM::my::sub'] });
    // A subclass ending in an event's name past the 13th character stays a subclass (not DTMF).
    const tailed: Array<string | undefined> = [];
    client.on('CUSTOM::fsbus::DTMF', (e) => void tailed.push(e.subclass));
    assert.equal(client.listenerCount('DTMF'), 0);
    const heard = eventWhere<EslEvent>(client, 'custom::my::sub', () => true);
    const heardTailed = eventWhere<EslEvent>(client, 'custom::fsbus::DTMF', () => true);
    await client.sendevent(EslEvent.create('CUSTOM', 'my::sub'));
    await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::DTMF'));
    await bounded(heard, 'the custom event');
    await bounded(heardTailed, 'the second custom event');
    assert.deepEqual(upper, ['my::sub']);
    assert.deepEqual(mixed, ['my::sub']);
    assert.deepEqual(tailed, ['fsbus::DTMF']);
    assert.equal((await bounded(it.next(), 'the iterator')).value?.subclass, 'my::sub');
    await it.return();
    client.off('custom::my::sub', onUpper);
    assert.equal(client.listenerCount('CUSTOM::my::sub'), 1);
  });
});
