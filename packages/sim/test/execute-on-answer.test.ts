/**
 * execute_on_* / api_on_* channel variables, as FreeSWITCH 1.10.12 runs them when it marks a
 * channel ring-ready, pre-answered or answered (switch_channel_execute_on / switch_channel_api_on):
 * every variable whose name starts with the base name (any case), the application inline on the
 * channel with its argument expanded, the API through switch_api_execute with its output logged.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, named, on } from './api-wire.js';
import { apiAt, harness } from './core-capture.js';

const wire = apiWirePerTest();

void it('execute_on_answer and api_on_answer run when the far end answers, between CHANNEL_ANSWER and the ACTIVE callstate', async () => {
  const w = await wire();
  w.sim.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  // +2, not +1: +N runs once epoch second now + N has come, and +1 may be a few ms away (before the uuid_getvar).
  const reply = await w.api("originate {execute_on_answer='sched_hangup +2',api_on_answer='uuid_setvar ${uuid} foo bar'}user/1000 &park()");
  assert.match(reply, /^\+OK [0-9a-f-]{36}\n$/);
  const uuid = reply.slice(4, -1);
  assert.equal(await w.api(`uuid_getvar ${uuid} foo`), 'bar');
  const done = await w.until(on(uuid, 'CHANNEL_HANGUP_COMPLETE'), 'the hangup scheduled on answer');
  assert.equal(done['Hangup-Cause'], 'ALLOTTED_TIMEOUT');
  const from = w.seen.findIndex(on(uuid, 'CHANNEL_ANSWER'));
  const after = w.seen.slice(from).filter((e) => e['Unique-ID'] === uuid || (e['Event-Name'] === 'API' && e['API-Command'] === 'uuid_setvar'));
  assert.deepEqual(after.slice(0, 5).map((e) => `${named(e)}${e['Channel-Call-State'] === undefined ? '' : ` ${e['Channel-Call-State']}`}`), [
    'CHANNEL_ANSWER RINGING',
    'CHANNEL_EXECUTE:sched_hangup RINGING',
    'CHANNEL_EXECUTE_COMPLETE:sched_hangup RINGING',
    'API',
    'CHANNEL_CALLSTATE ACTIVE',
  ]);
  assert.equal(after[3]?.['API-Command-Argument'], `${uuid} foo bar`, 'the argument is expanded on the channel');
});

void it('numbered and differently cased names match the base name; execute_on_ring and execute_on_pre_answer run at their moments', async () => {
  const w = await wire();
  w.sim.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  const vars = [
    "execute_on_answer_1='set a1=${uuid}'", "EXECUTE_ON_ANSWER_2='set:a2=two'", "execute_on_ring='set rang=yes'",
    "api_on_ring_x='uuid_setvar ${uuid} ring_api done'", "execute_on_pre_answer='set early=yes'", "execute_on_answer_3='set::a3=queued'",
  ];
  const reply = await w.api(`originate {${vars.join(',')}}user/1000 &park()`);
  const uuid = reply.slice(4, -1);
  assert.equal(await w.api(`uuid_getvar ${uuid} a1`), uuid);
  assert.equal(await w.api(`uuid_getvar ${uuid} a2`), 'two');
  assert.equal(await w.api(`uuid_getvar ${uuid} rang`), 'yes');
  assert.equal(await w.api(`uuid_getvar ${uuid} ring_api`), 'done');
  assert.equal(await w.api(`uuid_getvar ${uuid} early`), '_undef_', 'answered straight away: never pre-answered');
  // `app::arg` is queued as an execute message: it runs once the channel parses messages (in park).
  const queued = await w.until((e) => on(uuid, 'CHANNEL_EXECUTE_COMPLETE', 'set')(e) && e['Application-Data'] === 'a3=queued', 'the queued set');
  assert.ok(w.seen.indexOf(queued) > w.seen.findIndex(on(uuid, 'CHANNEL_EXECUTE', 'park')));
});

void it('execute_on_pre_answer and execute_on_media run on pre-answer; execute_on_media not again on answer', async () => {
  const h = harness({ dialplan: { default: [{ name: 'early', conditions: [{ expression: '^6000$', actions: [{ application: 'pre_answer' }, { application: 'answer' }, { application: 'park' }] }] }] } });
  const vars = "execute_on_pre_answer='set early=yes',execute_on_media='set media=${media}x',api_on_media='uuid_setvar ${uuid} api_media ${api_media}y'";
  const reply = await apiAt(h, 'originate', `{origination_uuid=e0000000-0000-4000-8000-000000000001,${vars}}loopback/6000 &park()`, 10);
  assert.equal(reply, '+OK e0000000-0000-4000-8000-000000000001\n');
  for (const [name, value] of [['early', 'yes'], ['media', 'x'], ['api_media', 'y']]) {
    assert.equal(await apiAt(h, 'uuid_getvar', `e0000000-0000-4000-8000-000000000001 ${name}`), value, name);
  }
  await h.core.stop();
});

void it('api_on_answer logs what the API wrote, as do_api_on does', async () => {
  const h = harness();
  const logs: string[] = [];
  h.core.onLog((l) => logs.push(`${l.level} ${l.file}:${l.func}:${l.line} ${l.text.replace(/^.*?\] \S+ /, '')}`));
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  const reply = await apiAt(h, 'originate', "{api_on_answer='uuid_setvar ${uuid} foo bar'}user/1000 &park()");
  const uuid = reply.slice(4, -1);
  const line = logs.find((l) => l.includes(' process '));
  assert.equal(line, `7 switch_channel.c:do_api_on:3690 sofia/internal/1000@127.0.0.1 process uuid_setvar \${uuid} foo bar: uuid_setvar(${uuid} foo bar)\n+OK\n\n`);
  await h.core.stop();
});

void it('api_on_answer with an unknown API logs INVALID COMMAND!, what switch_api_execute writes', async () => {
  const h = harness();
  const logs: string[] = [];
  h.core.onLog((l) => logs.push(`${l.level} ${l.file}:${l.func}:${l.line} ${l.text.replace(/^.*?\] \S+ /, '')}`));
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  assert.match(await apiAt(h, 'originate', "{api_on_answer='no_such_api a ${direction}'}user/1000 &park()"), /^\+OK /);
  const line = logs.find((l) => l.includes(' process '));
  assert.equal(line, '7 switch_channel.c:do_api_on:3690 sofia/internal/1000@127.0.0.1 process no_such_api a ${direction}: no_such_api(a outbound)\nINVALID COMMAND!\n\n');
  await h.core.stop();
});

void it('api_on_answer with a known API that refuses logs its -ERR only: no COMMAND RETURNED ERROR!, its function returned success', async () => {
  // switch_api_execute appends COMMAND RETURNED ERROR! only for a non-success status; uuid_kill
  // (kill_function), as every API the simulator models, writes -ERR and returns SWITCH_STATUS_SUCCESS.
  const h = harness();
  const logs: string[] = [];
  h.core.onLog((l) => logs.push(`${l.level} ${l.file}:${l.func}:${l.line} ${l.text.replace(/^.*?\] \S+ /, '')}`));
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  assert.match(await apiAt(h, 'originate', "{api_on_answer='uuid_kill no-such-uuid'}user/1000 &park()"), /^\+OK /);
  const line = logs.find((l) => l.includes(' process '));
  assert.equal(line, '7 switch_channel.c:do_api_on:3690 sofia/internal/1000@127.0.0.1 process uuid_kill no-such-uuid: uuid_kill(no-such-uuid)\n-ERR No such channel!\n\n');
  await h.core.stop();
});
