/**
 * Messages (sendmsg, uuid_broadcast) reach a channel while it plays a dialplan `playback` or runs
 * `play_and_get_digits`: switch_ivr_play_file and the digit collection call
 * switch_ivr_parse_all_events on every frame, so a hangup hangs up at once and an execute runs
 * nested (EXECUTE [depth=1]), the file standing still meanwhile and going on after.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import type { WireClient } from './listener-client.js';
import { executeLine, nextEvent, wiresPerTest, type JsonEvent, type WiresWithLog } from './wire-listeners.js';
import { apiAt, harness, header } from './core-capture.js';

const { openWithLog } = wiresPerTest();

const EVENTS = 'CHANNEL_CREATE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PLAYBACK_START PLAYBACK_STOP CHANNEL_HANGUP';

/** The stock simulator (7007 answer+play_and_get_digits, 7009 answer+endless playback), an api client, an event and a log listener. */
function simulator(): Promise<WiresWithLog> {
  return openWithLog({}, EVENTS);
}

const label = (e: JsonEvent): string => `${e['Event-Name'] ?? ''}${e.Application === undefined ? '' : `:${e.Application}`}`;

/** The b-leg's uuid once its dialplan runs `app` (its CHANNEL_EXECUTE). */
async function legRunning(events: WireClient, app: string): Promise<string> {
  for (;;) {
    const e = await nextEvent(events);
    if (e['Event-Name'] === 'CHANNEL_EXECUTE' && e.Application === app && e['Channel-Name']?.endsWith('-b') === true) return e['Unique-ID'] ?? '';
  }
}

/** `uuid`'s events up to and including the first one `last` accepts. */
async function eventsOf(events: WireClient, uuid: string, last: (e: JsonEvent) => boolean): Promise<JsonEvent[]> {
  const seen: JsonEvent[] = [];
  for (;;) {
    const e = await nextEvent(events);
    if (e['Unique-ID'] !== uuid) continue;
    seen.push(e);
    if (last(e)) return seen;
  }
}

void it('a sendmsg hangup during a dialplan playback hangs up at once; the playback ends done, PLAYBACK ERROR', async () => {
  const { c, events } = await simulator();
  assert.match(await c.replyText('bgapi originate loopback/7009 &park()'), /^\+OK Job-UUID/);
  const leg = await legRunning(events, 'playback');
  assert.equal(await c.replyText(`sendmsg ${leg}\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING`), '+OK');
  const seen = await eventsOf(events, leg, (e) => e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE');
  assert.deepEqual(seen.map(label), ['PLAYBACK_START', 'CHANNEL_HANGUP', 'PLAYBACK_STOP', 'CHANNEL_EXECUTE_COMPLETE:playback']);
  assert.equal(seen[2]?.['Playback-Status'], 'done');
  assert.equal(seen[3]?.['Application-Response'], 'PLAYBACK ERROR');
});

void it('a sendmsg execute during a dialplan playback runs nested at depth 1; the playback goes on after it', async () => {
  const { c, events, logs } = await simulator();
  assert.match(await c.replyText('bgapi originate loopback/7009 &park()'), /^\+OK Job-UUID/);
  const leg = await legRunning(events, 'playback');
  assert.equal(await c.replyText(`sendmsg ${leg}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://50`), '+OK');
  const nested = await eventsOf(events, leg, (e) => e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE');
  assert.deepEqual(nested.map(label), ['PLAYBACK_START', 'CHANNEL_EXECUTE:playback', 'PLAYBACK_START', 'PLAYBACK_STOP', 'CHANNEL_EXECUTE_COMPLETE:playback']);
  assert.equal(nested[4]?.['Application-Data'], 'silence_stream://50');
  assert.equal(await executeLine(logs, 'loopback/7009-b', 'playback'), 'EXECUTE [depth=0] loopback/7009-b playback(local_stream://moh)\n');
  assert.equal(await executeLine(logs, 'loopback/7009-b', 'playback'), 'EXECUTE [depth=1] loopback/7009-b playback(silence_stream://50)\n');
  // The music still plays: a break ends it now.
  assert.equal(await api(c, `uuid_break ${leg}`), '+OK\n');
  const outer = await eventsOf(events, leg, (e) => e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE');
  assert.deepEqual(outer.map(label), ['PLAYBACK_STOP', 'CHANNEL_EXECUTE_COMPLETE:playback']);
  assert.equal(outer[0]?.['Playback-File-Path'], 'local_stream://moh');
  assert.equal(outer[0]?.['Playback-Status'], 'break');
});

void it('play_and_get_digits runs a sendmsg execute nested while it waits; a uuid_broadcast too', async () => {
  const { c, events, logs } = await simulator();
  assert.match(await c.replyText('bgapi originate loopback/7007 &park()'), /^\+OK Job-UUID/);
  const leg = await legRunning(events, 'play_and_get_digits');
  // The prompt (PLAYBACK_START now, PLAYBACK_STOP once played) is left out: whether it has ended by a step depends on the machine's speed.
  const notPrompt = (list: JsonEvent[]): JsonEvent[] => list.filter((e) => e['Playback-File-Path'] !== 'ivr/ivr-please_enter.wav');
  assert.equal(await c.replyText(`sendmsg ${leg}\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO while collecting`), '+OK');
  assert.deepEqual(notPrompt(await eventsOf(events, leg, (e) => e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE')).map(label), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log']);
  assert.equal(await executeLine(logs, 'loopback/7007-b', 'log'), 'EXECUTE [depth=1] loopback/7007-b log(INFO while collecting)\n');
  assert.equal(await api(c, `uuid_broadcast ${leg} silence_stream://20 aleg`), '+OK Message sent\n');
  assert.deepEqual(notPrompt(await eventsOf(events, leg, (e) => e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE')).map(label), [
    'CHANNEL_EXECUTE:playback', 'PLAYBACK_START', 'PLAYBACK_STOP', 'CHANNEL_EXECUTE_COMPLETE:playback',
  ]);
  assert.equal(await c.replyText(`sendmsg ${leg}\ncall-command: hangup`), '+OK');
  assert.deepEqual(notPrompt(await eventsOf(events, leg, (e) => e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE')).map(label), ['CHANNEL_HANGUP', 'CHANNEL_EXECUTE_COMPLETE:play_and_get_digits']);
});

void it('the file stands still while a nested application runs; a digit timeout that passes meanwhile is seen once it returns', async () => {
  const h = harness({
    playbackLengths: new Map([['outer.wav', 1000]]),
    dialplan: { default: [
      { name: 'play', conditions: [{ field: 'destination_number', expression: '^8200$', actions: [{ application: 'answer' }, { application: 'playback', data: 'outer.wav' }, { application: 'park' }] }] },
      { name: 'pagd', conditions: [{ field: 'destination_number', expression: '^8201$', actions: [{ application: 'answer' }, { application: 'play_and_get_digits', data: '1 1 1 500 # silence silence_stream://0 v \\d' }, { application: 'park' }] }] },
    ] },
  });
  const complete = (app: string): number => h.events.filter((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === app).length;
  const execute = (uuid: string, app: string, arg: string): string =>
    h.core.sendmsg(uuid, { callCommand: 'execute', headers: new Map([['execute-app-name', app], ['execute-app-arg', arg]]), body: undefined });
  const legOf = (app: string): string => h.events.find((e) => e.name === 'CHANNEL_EXECUTE' && header(e, 'Application') === app)?.uuid ?? '';

  await apiAt(h, 'originate', 'loopback/8200 &park()');
  await h.clock.advance(400);
  assert.equal(execute(legOf('playback'), 'sleep', '2000'), '+OK');
  await h.clock.advance(2000);
  assert.equal(complete('sleep'), 1);
  await h.clock.advance(599);
  assert.equal(complete('playback'), 0, '600 ms of the file were left when the sleep began');
  await h.clock.advance(1);
  assert.equal(complete('playback'), 1);
  assert.equal(header(h.events.find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === 'playback')!, 'variable_playback_ms'), '1000');

  await apiAt(h, 'originate', 'loopback/8201 &park()');
  await h.clock.advance(100);
  assert.equal(execute(legOf('play_and_get_digits'), 'sleep', '1000'), '+OK');
  await h.clock.advance(999);
  assert.equal(complete('play_and_get_digits'), 0, 'the timeout has passed, the sleep still runs');
  await h.clock.advance(1);
  assert.equal(complete('sleep'), 2);
  assert.equal(complete('play_and_get_digits'), 1);
  await h.core.stop();
});

async function api(c: WireClient, command: string): Promise<string> {
  return (await c.command(`api ${command}`)).body?.toString() ?? '';
}
