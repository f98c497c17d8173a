/**
 * An application sent to a bridged channel (sendmsg execute, uuid_broadcast) runs, as FreeSWITCH
 * 1.10 runs it: audio_bridge_thread parses the leg's queued message with switch_ivr_parse_next_event
 * (depth 0) while the other leg is suspended, then goes on bridging — CHANNEL_EXECUTE,
 * CHANNEL_EXECUTE_COMPLETE and PRIVATE_COMMAND on that leg, no CHANNEL_UNBRIDGE. Both ways a
 * channel gets bridged end in that loop: uuid_bridge and the bridge application.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { extension } from './api-wire.js';
import type { WireClient } from './listener-client.js';
import { executeLine, nextEvent, wiresPerTest, type JsonEvent, type WiresWithLog } from './wire-listeners.js';

const { openWithLog } = wiresPerTest();

const EVENTS = 'CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PRIVATE_COMMAND CHANNEL_HANGUP';
const A = 'b1b1b1b1-0000-4000-8000-00000000000a';
const B = 'b1b1b1b1-0000-4000-8000-00000000000b';

function simulator(): Promise<WiresWithLog> {
  return openWithLog({
    dialplan: {
      default: [
        extension('7001', [{ application: 'answer' }, { application: 'park' }]),
        extension('9100', [{ application: 'answer' }, { application: 'bridge', data: 'loopback/9101' }]),
        extension('9101', [{ application: 'answer' }, { application: 'park' }]),
        extension('9102', [{ application: 'answer' }, { application: 'bridge', data: 'loopback/9103' }]),
        extension('9103', [{ application: 'ring_ready' }, { application: 'sleep', data: '60000' }]),
      ],
    },
  }, EVENTS);
}

async function api(c: WireClient, command: string): Promise<string> {
  return (await c.command(`api ${command}`)).body?.toString() ?? '';
}

/** Events up to the first CHANNEL_BRIDGE, which it returns; `seen` gets every event name on the way. */
async function untilBridged(events: WireClient, seen: string[] = []): Promise<JsonEvent> {
  for (;;) {
    const e = await nextEvent(events);
    seen.push(e['Event-Name'] ?? '');
    if (e['Event-Name'] === 'CHANNEL_BRIDGE') return e;
  }
}

/**
 * Sends `log INFO <text>` to `uuid` and returns that leg's events (`Name[:Application]`) up to the
 * message's PRIVATE_COMMAND, checking the Application-UUID; `others` gets every other leg's events.
 */
async function logOn(c: WireClient, events: WireClient, uuid: string, text: string, others: string[]): Promise<string[]> {
  const appUuid = `${uuid.slice(0, -4)}f00d`;
  assert.equal(await c.replyText(`sendmsg ${uuid}\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO ${text}\nevent-uuid: ${appUuid}`), '+OK');
  const seen: string[] = [];
  for (;;) {
    const e = await nextEvent(events);
    const name = `${e['Event-Name'] ?? ''}${e.Application === undefined ? '' : `:${e.Application}`}`;
    if (e['Unique-ID'] !== uuid) {
      others.push(name);
      continue;
    }
    seen.push(name);
    if (e.Application === 'log') {
      assert.equal(e['Application-UUID'], appUuid);
      assert.equal(e['Application-Data'], `INFO ${text}`);
    }
    if (e['Event-Name'] === 'PRIVATE_COMMAND') return seen;
  }
}

async function bridgedCalls(c: WireClient): Promise<number> {
  return (JSON.parse(await api(c, 'show bridged_calls as json')) as { row_count: number }).row_count;
}

void it('uuid_bridge: a sendmsg execute and a uuid_broadcast on a bridged leg run, and the bridge stays up', async () => {
  const { c, events } = await simulator();
  assert.equal(await api(c, `originate {origination_uuid=${A}}loopback/7001 &park()`), `+OK ${A}\n`);
  assert.equal(await api(c, `originate {origination_uuid=${B}}loopback/7001 &park()`), `+OK ${B}\n`);
  assert.equal(await api(c, `uuid_bridge ${A} ${B}`), `+OK ${B}\n`);
  const bridge = await untilBridged(events);
  assert.equal(bridge['Bridge-B-Unique-ID'], B);

  const others: string[] = [];
  assert.deepEqual(await logOn(c, events, A, 'hello', others), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'PRIVATE_COMMAND']);
  // The other leg too: each side of the bridge parses its own messages.
  assert.deepEqual(await logOn(c, events, B, 'hello b', others), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'PRIVATE_COMMAND']);

  assert.equal(await api(c, `uuid_broadcast ${A} silence_stream://100 aleg`), '+OK Message sent\n');
  const played: string[] = [];
  for (;;) {
    const e = await nextEvent(events);
    if (e['Unique-ID'] !== A) continue;
    played.push(`${e['Event-Name'] ?? ''}${e.Application === undefined ? '' : `:${e.Application}`}`);
    if (e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE') break;
  }
  assert.deepEqual(played, ['CHANNEL_EXECUTE:playback', 'CHANNEL_EXECUTE_COMPLETE:playback']);

  // FreeSWITCH re-enters the bridge once the application has returned: no unbridge, no hangup.
  assert.deepEqual(others.filter((n) => n === 'CHANNEL_UNBRIDGE' || n === 'CHANNEL_HANGUP'), []);
  assert.equal(await bridgedCalls(c), 1);
  assert.equal(await api(c, `uuid_kill ${A}`), '+OK\n');
  const after: string[] = [];
  while (after.filter((n) => n === 'CHANNEL_HANGUP').length < 4) after.push((await nextEvent(events))['Event-Name'] ?? '');
  assert.ok(after.includes('CHANNEL_UNBRIDGE'), after.join(','));
});

void it('bridge application: both legs run a sendmsg execute at depth 0 while bridged; the bridge application goes on', async () => {
  const { c, events, logs } = await simulator();
  assert.match(await api(c, `originate {origination_uuid=${A}}loopback/9100 &park()`), /^\+OK /);
  const bridge = await untilBridged(events);
  const caller = bridge['Bridge-A-Unique-ID'] ?? '';
  const callee = bridge['Bridge-B-Unique-ID'] ?? '';
  assert.equal(bridge['Channel-Name'], 'loopback/9100-b');

  const others: string[] = [];
  assert.deepEqual(await logOn(c, events, caller, 'hello', others), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'PRIVATE_COMMAND']);
  // audio_bridge_thread calls switch_ivr_parse_next_event itself: no stacked extension, depth 0.
  assert.equal(await executeLine(logs, 'loopback/9100-b', 'log'), 'EXECUTE [depth=0] loopback/9100-b log(INFO hello)\n');
  assert.deepEqual(await logOn(c, events, callee, 'hello b', others), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'PRIVATE_COMMAND']);
  assert.equal(await executeLine(logs, 'loopback/9101-a', 'log'), 'EXECUTE [depth=0] loopback/9101-a log(INFO hello b)\n');

  assert.deepEqual(others.filter((n) => n === 'CHANNEL_EXECUTE_COMPLETE:bridge' || n === 'CHANNEL_UNBRIDGE' || n === 'CHANNEL_HANGUP'), []);
  assert.equal(await bridgedCalls(c), 1);
  assert.equal(await api(c, `uuid_kill ${callee}`), '+OK\n');
  const after: string[] = [];
  while (!after.includes('CHANNEL_EXECUTE_COMPLETE:bridge')) {
    const e = await nextEvent(events);
    after.push(`${e['Event-Name'] ?? ''}${e.Application === undefined ? '' : `:${e.Application}`}`);
  }
  assert.ok(after.includes('CHANNEL_UNBRIDGE'), after.join(','));
});

void it('bridge application still dialling: a sendmsg execute on its caller runs (switch_ivr_originate parses its events)', async () => {
  const { c, events, logs } = await simulator();
  assert.match(await c.replyText('bgapi originate loopback/9102 &park()'), /^\+OK Job-UUID/);
  let caller = '';
  while (caller === '') {
    const e = await nextEvent(events);
    if (e['Event-Name'] === 'CHANNEL_EXECUTE' && e.Application === 'bridge') caller = e['Unique-ID'] ?? '';
  }
  const others: string[] = [];
  assert.deepEqual(await logOn(c, events, caller, 'ringing', others), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'PRIVATE_COMMAND']);
  // Inside switch_ivr_parse_all_events: one stacked level.
  assert.equal(await executeLine(logs, 'loopback/9102-b', 'log'), 'EXECUTE [depth=1] loopback/9102-b log(INFO ringing)\n');
  assert.deepEqual(others.filter((n) => n === 'CHANNEL_BRIDGE' || n === 'CHANNEL_EXECUTE_COMPLETE:bridge'), []);
  assert.equal(await api(c, `uuid_kill ${caller}`), '+OK\n');
});
