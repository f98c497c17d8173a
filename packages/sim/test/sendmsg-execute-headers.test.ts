/**
 * switch_ivr_parse_event's execute (FreeSWITCH 1.10.12): without `execute-app-name` nothing runs
 * (`if (app_name)`), the message is still parsed (PRIVATE_COMMAND); `event-uuid-name` becomes
 * app_uuid_name, which switch_core_session_exec reports as Application-UUID-Name in
 * CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE (after Application-UUID), then clears.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { header, parkedLeg } from './core-capture.js';

const U = '44444444-0000-4000-8000-000000000001';

void it('execute without execute-app-name: nothing runs, PRIVATE_COMMAND, both legs stay up', async () => {
  const h = await parkedLeg(U);
  const from = h.events.length;
  const headers = new Map([['call-command', 'execute']]);
  assert.equal(h.core.sendmsg(U, { callCommand: 'execute', headers, body: undefined }), '+OK');
  await h.clock.advance(100);
  const names = h.events.slice(from).map((e) => e.name);
  assert.deepEqual(names, ['PRIVATE_COMMAND']);
  assert.ok(!h.logs.some((l) => l.text.includes('Invalid Application')));
  assert.equal(await h.core.api('uuid_exists', U), 'true');
  await h.core.stop();
});

void it('event-uuid-name: Application-UUID-Name after Application-UUID in CHANNEL_EXECUTE and _COMPLETE, for that run only', async () => {
  const h = await parkedLeg(U);
  const from = h.events.length;
  const headers = new Map([['call-command', 'execute'], ['execute-app-name', 'set'], ['execute-app-arg', 'foo=bar'], ['event-uuid', 'ev-1'], ['event-uuid-name', 'my-name']]);
  assert.equal(h.core.sendmsg(U, { callCommand: 'execute', headers, body: undefined }), '+OK');
  await h.clock.advance(100);
  const exec = h.events.slice(from).filter((e) => e.name === 'CHANNEL_EXECUTE' || e.name === 'CHANNEL_EXECUTE_COMPLETE');
  assert.deepEqual(exec.map((e) => e.headers.slice(-2)), [
    [['Application-UUID', 'ev-1'], ['Application-UUID-Name', 'my-name']],
    [['Application-UUID', 'ev-1'], ['Application-UUID-Name', 'my-name']],
  ]);
  assert.equal(header(exec[0] ?? { headers: [] }, 'variable_app_uuid_name'), undefined, 'cleared before the event');
  const next = h.events.length;
  assert.equal(h.core.sendmsg(U, { callCommand: 'execute', headers: new Map([['call-command', 'execute'], ['execute-app-name', 'set'], ['execute-app-arg', 'x=1']]), body: undefined }), '+OK');
  await h.clock.advance(100);
  const again = h.events.slice(next).find((e) => e.name === 'CHANNEL_EXECUTE');
  assert.equal(header(again ?? { headers: [] }, 'Application-UUID-Name'), undefined);
  await h.core.stop();
});
