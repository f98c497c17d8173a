/**
 * Channel variables in an application's argument, expanded as switch_core_session_exec does
 * (FreeSWITCH 1.10.12) whichever way the application came: the dialplan, `sendmsg` execute,
 * `uuid_broadcast`. CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE carry the expanded text.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import type { WireClient } from './listener-client.js';
import { nextEvent, wiresPerTest, type JsonEvent } from './wire-listeners.js';

const { open } = wiresPerTest();

const A = 'e0e0e0e0-0000-4000-8000-00000000000a';

/** A simulator whose 9002 answers and parks: a control connection, and a listener of the execute events. */
async function answeredParkedCall(vars = ''): Promise<{ c: WireClient; events: WireClient }> {
  const actions = [{ application: 'answer' }, { application: 'park' }];
  const { c, events } = await open({ dialplan: { default: [{ name: 'answered', conditions: [{ field: 'destination_number', expression: '^9002$', actions }] }] } }, 'CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_PROGRESS_MEDIA PLAYBACK_START');
  const reply = await c.command(`api originate {origination_uuid=${A},origination_caller_id_number=4155550100,greeting=hello${vars}}loopback/9002 &park()`);
  assert.equal(reply.body?.toString(), `+OK ${A}\n`);
  return { c, events };
}

/** Events of `uuid` until (and with) the CHANNEL_EXECUTE_COMPLETE of `app`. */
async function eventsUntilComplete(events: WireClient, uuid: string, app: string): Promise<JsonEvent[]> {
  const seen: JsonEvent[] = [];
  for (;;) {
    const f = await events.nextOfType('text/event-json');
    const e = JSON.parse(f.body?.toString() ?? '{}') as JsonEvent;
    if (e['Unique-ID'] !== uuid) continue;
    seen.push(e);
    if (e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE' && e.Application === app) return seen;
  }
}

const execute = (uuid: string, app: string, arg: string): string => `sendmsg ${uuid}\ncall-command: execute\nexecute-app-name: ${app}\nexecute-app-arg: ${arg}`;
const executes = (events: readonly JsonEvent[], app: string): Array<string | undefined> =>
  events.filter((e) => e.Application === app && e['Event-Name']?.startsWith('CHANNEL_EXECUTE')).map((e) => `${e['Event-Name']}: ${e['Application-Data']}`);

void it('sendmsg execute expands ${var} (caller profile fields, variables, unknown ones to nothing) in its events and for the application', async () => {
  const { c, events } = await answeredParkedCall();
  assert.equal(await c.replyText(execute(A, 'log', 'INFO ${greeting} from ${caller_id_number}${no_such_variable}, $${default_password}')), '+OK');
  const logged = await eventsUntilComplete(events, A, 'log');
  // The caller profile's field, whatever the simulator has made of it on this leg.
  const start = logged.find((e) => e['Event-Name'] === 'CHANNEL_EXECUTE' && e.Application === 'log');
  const cid = start?.['Caller-Caller-ID-Number'] ?? '';
  assert.match(cid, /^\d+$/);
  assert.deepEqual(executes(logged, 'log'), [
    `CHANNEL_EXECUTE: INFO hello from ${cid}, 1234`,
    `CHANNEL_EXECUTE_COMPLETE: INFO hello from ${cid}, 1234`,
  ]);
  assert.equal(start?.variable_current_application_data, `INFO hello from ${cid}, 1234`);

  assert.equal(await c.replyText(execute(A, 'playback', 'silence_stream://${caller_id_number:0:3}')), '+OK');
  const played = await eventsUntilComplete(events, A, 'playback');
  const path = `silence_stream://${cid.slice(0, 3)}`;
  assert.deepEqual(executes(played, 'playback'), [`CHANNEL_EXECUTE: ${path}`, `CHANNEL_EXECUTE_COMPLETE: ${path}`]);
  assert.equal(played.find((e) => e['Event-Name'] === 'PLAYBACK_START')?.['Playback-File-Path'], path, 'the application got the expanded text');
  assert.equal(played.filter((e) => e['Event-Name'] === 'CHANNEL_PROGRESS_MEDIA').length, 0, 'an answered channel is not pre-answered');
});

void it('uuid_broadcast expands the same way; escapes and app_disable_expand_variables are honoured', async () => {
  const { c, events } = await answeredParkedCall(',app_disable_expand_variables=false');
  assert.equal((await c.command(`api uuid_broadcast ${A} set::heard=\${greeting}-\${caller_id_number} aleg`)).body?.toString(), '+OK Message sent\n');
  const broadcast = await eventsUntilComplete(events, A, 'set');
  const cid = broadcast.find((e) => e.Application === 'set')?.['Caller-Caller-ID-Number'] ?? '';
  assert.deepEqual(executes(broadcast, 'set'), [`CHANNEL_EXECUTE: heard=hello-${cid}`, `CHANNEL_EXECUTE_COMPLETE: heard=hello-${cid}`]);

  assert.equal(await c.replyText(execute(A, 'log', 'INFO literal \\${greeting} and ${greeting}')), '+OK');
  assert.deepEqual(executes(await eventsUntilComplete(events, A, 'log'), 'log'), [
    'CHANNEL_EXECUTE: INFO literal ${greeting} and hello',
    'CHANNEL_EXECUTE_COMPLETE: INFO literal ${greeting} and hello',
  ]);

  assert.equal(await c.replyText(execute(A, 'set', 'app_disable_expand_variables=true')), '+OK');
  await eventsUntilComplete(events, A, 'set');
  assert.equal(await c.replyText(execute(A, 'log', 'INFO ${greeting}')), '+OK');
  assert.deepEqual(executes(await eventsUntilComplete(events, A, 'log'), 'log'), ['CHANNEL_EXECUTE: INFO ${greeting}', 'CHANNEL_EXECUTE_COMPLETE: INFO ${greeting}']);
});

void it('the dialplan argument is expanded when it runs', async () => {
  const actions = [{ application: 'set', data: 'who=${caller_id_number}' }, { application: 'log', data: 'INFO ${who} called ${destination_number}' }, { application: 'park' }];
  const { c, events } = await open({ dialplan: { default: [{ name: 'dp', conditions: [{ field: 'destination_number', expression: '^9004$', actions }] }] } }, 'CHANNEL_EXECUTE');
  await c.replyText('bgapi originate {origination_caller_id_number=4155550100}loopback/9004 &park()');
  for (;;) {
    const e = await nextEvent(events);
    if (e.Application !== 'log') continue;
    assert.equal(e['Application-Data'], 'INFO 4155550100 called 9004');
    break;
  }
});
