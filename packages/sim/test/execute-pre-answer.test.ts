/**
 * An application that needs media (registered without SAF_SUPPORT_NOMEDIA: playback,
 * play_and_get_digits, record …) pre-answers an inbound channel that has no media yet, as
 * switch_core_session_execute_application_get_flags does (FreeSWITCH 1.10.12): CHANNEL_PROGRESS_MEDIA
 * (Answer-State early) and the EARLY callstate before its CHANNEL_EXECUTE; once, and never on an
 * answered channel. One that supports no media (log, set, park …) leaves the channel ringing.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { extension } from './api-wire.js';
import type { WireClient } from './listener-client.js';
import { nextEvent, wiresPerTest, type Wires } from './wire-listeners.js';
import { apiAt, harness, header } from './core-capture.js';

const { open } = wiresPerTest();

const EVENTS = 'CHANNEL_PARK CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_PROGRESS_MEDIA CHANNEL_CALLSTATE';

function simulator(): Promise<Wires> {
  return open({ dialplan: { default: [extension('9001', [{ application: 'park' }]), extension('9002', [{ application: 'answer' }, { application: 'park' }])] } }, EVENTS);
}

/** The b-leg of a loopback call to `number` once it has parked: its uuid. */
async function parkedLeg(c: WireClient, events: WireClient, number: string): Promise<string> {
  assert.match((await c.command(`bgapi originate loopback/${number} &park()`)).headers.get('Reply-Text') ?? '', /^\+OK Job-UUID/);
  for (;;) {
    const e = await nextEvent(events);
    if (e['Event-Name'] === 'CHANNEL_PARK' && e['Channel-Name'] === `loopback/${number}-b`) return e['Unique-ID'] ?? '';
  }
}

/**
 * `Event-Name[:Application] (Answer-State, Channel-Call-State)` of `uuid`'s events until `app` has
 * completed; CHANNEL_PROGRESS_MEDIA with where FreeSWITCH 1.10.12 creates it.
 */
async function runOn(c: WireClient, events: WireClient, uuid: string, app: string, arg: string): Promise<string[]> {
  assert.equal(await c.replyText(`sendmsg ${uuid}\ncall-command: execute\nexecute-app-name: ${app}\nexecute-app-arg: ${arg}`), '+OK');
  const seen: string[] = [];
  for (;;) {
    const e = await nextEvent(events);
    if (e['Unique-ID'] !== uuid) continue;
    const name = e['Event-Name'] ?? '';
    const site = name === 'CHANNEL_PROGRESS_MEDIA' ? ` ${e['Event-Calling-File']}:${e['Event-Calling-Function']}:${e['Event-Calling-Line-Number']}` : '';
    seen.push(`${name}${e.Application === undefined ? '' : `:${e.Application}`} (${e['Answer-State']}, ${e['Channel-Call-State']})${site}`);
    if (name === 'CHANNEL_EXECUTE_COMPLETE' && e.Application === app) return seen;
  }
}

void it('playback on a ringing parked channel pre-answers it before its CHANNEL_EXECUTE, and only once', async () => {
  const { c, events } = await simulator();
  const b = await parkedLeg(c, events, '9001');
  assert.deepEqual(await runOn(c, events, b, 'log', 'INFO no media needed'), [
    'CHANNEL_EXECUTE:log (ringing, RINGING)',
    'CHANNEL_EXECUTE_COMPLETE:log (ringing, RINGING)',
  ], 'log supports no media: the channel stays ringing');
  assert.deepEqual(await runOn(c, events, b, 'playback', 'silence_stream://100'), [
    'CHANNEL_PROGRESS_MEDIA (early, RINGING) switch_channel.c:switch_channel_perform_mark_pre_answered:3560',
    'CHANNEL_CALLSTATE (early, EARLY)',
    'CHANNEL_EXECUTE:playback (early, EARLY)',
    'CHANNEL_EXECUTE_COMPLETE:playback (early, EARLY)',
  ]);
  assert.deepEqual(await runOn(c, events, b, 'playback', 'silence_stream://100'), [
    'CHANNEL_EXECUTE:playback (early, EARLY)',
    'CHANNEL_EXECUTE_COMPLETE:playback (early, EARLY)',
  ], 'already pre-answered: no second CHANNEL_PROGRESS_MEDIA');
});

void it('playback on an answered channel fires no CHANNEL_PROGRESS_MEDIA', async () => {
  const { c, events } = await simulator();
  const b = await parkedLeg(c, events, '9002');
  assert.deepEqual(await runOn(c, events, b, 'playback', 'silence_stream://100'), [
    'CHANNEL_EXECUTE:playback (answered, ACTIVE)',
    'CHANNEL_EXECUTE_COMPLETE:playback (answered, ACTIVE)',
  ]);
});

void it('CHANNEL_PROGRESS_MEDIA carries endpoint_disposition EARLY MEDIA, set before the event (switch_channel_perform_mark_pre_answered)', async () => {
  const h = harness({ dialplan: { default: [extension('6000', [{ application: 'pre_answer' }, { application: 'answer' }, { application: 'park' }])] } });
  assert.match(await apiAt(h, 'originate', 'loopback/6000 &park()', 10), /^\+OK /);
  const progress = h.events.filter((e) => e.name === 'CHANNEL_PROGRESS_MEDIA');
  assert.deepEqual(progress.map((e) => [header(e, 'Channel-Name'), header(e, 'variable_endpoint_disposition')]), [
    ['loopback/6000-a', 'EARLY MEDIA'],
    ['loopback/6000-b', 'EARLY MEDIA'],
  ]);
  await h.core.stop();
});
