// execute_app end to end: dispatch reply, then the CHANNEL_EXECUTE_COMPLETE on forward_to and on
// the normal event subject; digits injected through the simulator.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { BusErrorCode, type EventPayload, type ReplyEnvelope } from '@fsbus/contract';
import { ExecuteAppMessage, ExecuteCompletions, createExecuteAppCommand, parseExecuteApp, subscriptionNames, type WatchEnd } from '@fsbus/agent';
import { EslEvent } from '@fsbus/esl';
import { startRig, type Rig } from './call-control-harness.js';

type Dispatched = { application_uuid: string; uuid: string; app: string };

void describe('execute_app over NATS against the simulator', () => {
  let rig: Rig;
  /** An answered channel sitting in park. */
  let uuid: string;
  before(async () => {
    rig = await startRig();
    rig.sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
    uuid = randomUUID();
    const r = await rig.request({ command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid });
    assert.equal(r.success, true, JSON.stringify(r));
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'the channel parked');
  });
  after(() => rig.stop());

  void test('playback: dispatch reply, EXECUTE_COMPLETE on forward_to and on the event subject', async () => {
    const box = await rig.inbox('cc.exec.playback');
    const r = await rig.request({ command: 'execute_app', uuid, app: 'playback', args: 'tone_stream://%(100,0,440)', forward_to: 'cc.exec.playback' });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.message, 'execute_app dispatched');
    const d = r.data as Dispatched;
    assert.match(d.application_uuid, /^[0-9a-f-]{36}$/);
    assert.equal(d.uuid, uuid);
    const [a, b] = await box.count(2);
    const messages = [JSON.parse(a!), JSON.parse(b!)] as Array<ReplyEnvelope | EventPayload>;
    const envelope = messages.find((m): m is ReplyEnvelope => 'success' in m);
    const event = messages.find((m): m is EventPayload => 'event_name' in m);
    assert.deepEqual(envelope, r, 'forward_to gets the same reply');
    assert.ok(event !== undefined);
    assert.equal(event.event_name, 'CHANNEL_EXECUTE_COMPLETE');
    assert.equal(event.uuid, uuid);
    assert.equal(event.node_id, 'cc-1');
    assert.equal(event.headers['Application'], 'playback');
    assert.equal(event.headers['Application-Data'], 'tone_stream://%(100,0,440)');
    assert.equal(event.headers['Application-UUID'], d.application_uuid);
    assert.equal(event.headers['Application-Response'], 'FILE PLAYED');
    const published = await rig.events.waitFor(
      (e) => e.event_name === 'CHANNEL_EXECUTE_COMPLETE' && e.headers['Application-UUID'] === d.application_uuid,
      'the completion on freeswitch.events.channel.execute.complete',
    );
    assert.deepEqual(published, event);
  });

  void test('play_and_get_digits (seed args verbatim): digits from the simulator, variable_ result on forward_to', async () => {
    const box = await rig.inbox('cc.exec.pagd');
    const args = '1 4 3 5000 # tone_stream://%(300,0,440) /invalid.wav my_digits \\d+ 2000 -';
    const r = await rig.request({ command: 'execute_app', uuid, app: 'play_and_get_digits', args, forward_to: 'cc.exec.pagd' });
    assert.equal(r.success, true, JSON.stringify(r));
    const d = r.data as Dispatched;
    // The application waits for digits: nothing but the dispatch reply can be there yet.
    const [first] = await box.count(1);
    assert.deepEqual(JSON.parse(first!), r);
    assert.equal(rig.sim.core.control.sendDigits(uuid, '4321'), true);
    const [, second] = await box.count(2);
    const event = JSON.parse(second!) as EventPayload;
    assert.equal(event.event_name, 'CHANNEL_EXECUTE_COMPLETE');
    assert.equal(event.headers['Application'], 'play_and_get_digits');
    assert.equal(event.headers['Application-Data'], args);
    assert.equal(event.headers['Application-UUID'], d.application_uuid);
    assert.equal(event.headers['variable_my_digits'], '4321');
  });

  void test('vars are set first; multi-line args go verbatim (sendmsg body)', async () => {
    const box = await rig.inbox('cc.exec.set');
    const r = await rig.request({
      command: 'execute_app',
      uuid,
      app: 'set',
      args: 'multi=line one\nline two',
      vars: { fsbus_greeting: 'hello world', fsbus_n: 7, fsbus_quoted: "O'Neil's \\ 'x'", fsbus_padded: '  edge\t' },
      forward_to: 'cc.exec.set',
    });
    assert.equal(r.success, true, JSON.stringify(r));
    const d = r.data as Dispatched;
    await box.count(2);
    const event = box.messages.map((m) => JSON.parse(m) as EventPayload).find((m) => m.event_name === 'CHANNEL_EXECUTE_COMPLETE');
    assert.ok(event !== undefined);
    assert.equal(event.headers['Application-UUID'], d.application_uuid);
    assert.equal(event.headers['variable_multi'], 'line one\nline two');
    assert.equal(event.headers['variable_fsbus_greeting'], 'hello world');
    assert.equal(event.headers['variable_fsbus_n'], '7');
    // As sent: FreeSWITCH's argument reading (the simulator's) drops quotes, unescapes and trims.
    assert.equal(event.headers['variable_fsbus_quoted'], "O'Neil's \\ 'x'");
    assert.equal(event.headers['variable_fsbus_padded'], '  edge\t');
  });

  void test('event_lock is passed on the sendmsg', async () => {
    const r = await rig.request({ command: 'execute_app', uuid, app: 'playback', args: 'silence_stream://10', event_lock: true });
    assert.equal(r.success, true, JSON.stringify(r));
    const d = r.data as Dispatched;
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_EXECUTE_COMPLETE' && e.headers['Application-UUID'] === d.application_uuid, 'completion');
    const cmd = await rig.events.waitFor((e) => e.event_name === 'PRIVATE_COMMAND' && e.headers['event-uuid'] === d.application_uuid, 'PRIVATE_COMMAND');
    assert.equal(cmd.headers['event-lock'], 'true');
  });

  void test('errors: SPEC messages and codes', async () => {
    const missingUuid = await rig.request({ command: 'execute_app', app: 'playback' });
    assert.equal(missingUuid.message, "execute_app: 'uuid' field required");
    assert.equal(missingUuid.code, BusErrorCode.INVALID_ARGUMENT);
    const missingApp = await rig.request({ command: 'execute_app', uuid });
    assert.equal(missingApp.message, "execute_app: 'app' field required");
    assert.equal(missingApp.code, BusErrorCode.INVALID_ARGUMENT);
    const gone = randomUUID();
    const notFound = await rig.request({ command: 'execute_app', uuid: gone, app: 'playback', args: 'x.wav', forward_to: 'cc.exec.none' });
    assert.equal(notFound.success, false);
    assert.equal(notFound.message, 'execute_app: session not found');
    assert.equal(notFound.code, BusErrorCode.SESSION_NOT_FOUND);
    const notFoundVars = await rig.request({ command: 'execute_app', uuid: gone, app: 'playback', vars: { a: 'b' } });
    assert.equal(notFoundVars.message, 'execute_app: session not found');
  });

  void test('an application cut short by a hangup still completes on forward_to', async () => {
    const other = randomUUID();
    const r = await rig.request({ command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid: other });
    assert.equal(r.success, true);
    const box = await rig.inbox('cc.exec.hangup');
    const x = await rig.request({ command: 'execute_app', uuid: other, app: 'play_and_get_digits', args: '1 1 1 60000 # a.wav b.wav v \\d', forward_to: 'cc.exec.hangup' });
    assert.equal(x.success, true);
    const h = await rig.request({ command: 'hangup', uuid: other });
    assert.equal(h.success, true);
    // Interrupted by the hangup, the application still completes: forwarded like any completion.
    await box.count(2);
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_DESTROY' && e.uuid === other, 'CHANNEL_DESTROY');
  });
});

void test('parseExecuteApp: validation', () => {
  const err = (f: Record<string, unknown>): string => {
    const r = parseExecuteApp(f);
    return typeof r === 'string' ? r : 'no error';
  };
  assert.equal(parseExecuteApp({}), "execute_app: 'uuid' field required");
  assert.equal(parseExecuteApp({ uuid: '' }), "execute_app: 'uuid' field required");
  assert.equal(parseExecuteApp({ uuid: 'abc' }), "execute_app: 'app' field required");
  assert.match(err({ uuid: 'a b', app: 'x' }), /uuid must be/);
  assert.match(err({ uuid: 'abc', app: 'play back' }), /app must be/);
  assert.match(err({ uuid: 'abc', app: 'x', args: 5 }), /args must be a string/);
  assert.match(err({ uuid: 'abc', app: 'x', event_lock: 'yes' }), /event_lock must be a boolean/);
  assert.match(err({ uuid: 'abc', app: 'x', vars: { 'a b': '1' } }), /variable name/);
  assert.match(err({ uuid: 'abc', app: 'x', vars: { a: 'x\ny' } }), /single line/);
  assert.deepEqual(parseExecuteApp({ uuid: 'abc', app: 'x', args: ' keep  spaces ', vars: { a: 1 } }), {
    uuid: 'abc',
    app: 'x',
    args: ' keep  spaces ',
    vars: [['a', '1']],
    eventLock: false,
  });
});

void describe('execute_app when the completion event is not published', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ events: { include: ['CHANNEL_CREATE'] } });
    rig.sim.core.control.setEndpointBehavior('user/2001', { answer: 'answer' });
  });
  after(() => rig.stop());

  void test('the agent still listens for it: forward_to gets it, the event subject does not', async () => {
    const uuid = randomUUID();
    const o = await rig.request({ command: 'originate', endpoint: 'user/2001', extension: '&park()', uuid });
    assert.equal(o.success, true, JSON.stringify(o));
    const box = await rig.inbox('cc.exec.filtered');
    const r = await rig.request({ command: 'execute_app', uuid, app: 'playback', args: 'silence_stream://10', forward_to: 'cc.exec.filtered' });
    assert.equal(r.success, true, JSON.stringify(r));
    await box.count(2);
    const event = box.messages.map((m) => JSON.parse(m) as EventPayload).find((m) => m.event_name === 'CHANNEL_EXECUTE_COMPLETE');
    assert.equal(event?.headers['Application-UUID'], (r.data as Dispatched).application_uuid);
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_CREATE' && e.uuid === uuid, 'CHANNEL_CREATE (published)');
    // The agent publishes in order on one connection: once this reply is here, an earlier event would be too.
    await rig.request({ command: 'agent.status' });
    // Of FreeSWITCH's: the agent's own (agent_start) pass any include list.
    assert.deepEqual(
      [...new Set(rig.events.events.filter((e) => e.headers['FSBus-Node-ID'] === undefined).map((e) => e.event_name))],
      ['CHANNEL_CREATE'],
      'only the included events are published',
    );
  });
});

void test('subscriptionNames adds what call control needs, keeps CUSTOM subclasses last', () => {
  assert.deepEqual(subscriptionNames(['ALL']), ['ALL']);
  assert.deepEqual(subscriptionNames([]), ['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_PARK', 'CHANNEL_UNPARK', 'CHANNEL_DESTROY']);
  // Park mode on: the park audio's start too (an execute on a parked call waits for it).
  assert.deepEqual(subscriptionNames([], true), ['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_PARK', 'CHANNEL_UNPARK', 'CHANNEL_DESTROY', 'PLAYBACK_START']);
  assert.deepEqual(subscriptionNames(['CHANNEL_CREATE', 'CHANNEL_PARK', 'CUSTOM', 'sofia::register']), [
    'CHANNEL_CREATE',
    'CHANNEL_PARK',
    'CHANNEL_EXECUTE_COMPLETE',
    'CHANNEL_UNPARK',
    'CHANNEL_DESTROY',
    'CUSTOM',
    'sofia::register',
  ]);
});

void test('ExecuteCompletions: matched by Application-UUID, bounded, cleared with the channel', () => {
  const c = new ExecuteCompletions(2);
  const got: string[] = [];
  const complete = (app: string, channel: string) => {
    const e = EslEvent.create('CHANNEL_EXECUTE_COMPLETE');
    e.addHeader('Unique-ID', channel);
    e.addHeader('Application-UUID', app);
    return e;
  };
  c.watch('a1', 'ch1', () => got.push('a1'));
  c.watch('a2', 'ch2', () => got.push('a2'));
  c.watch('a3', 'ch2', () => got.push('a3'));
  assert.equal(c.pending, 2);
  assert.equal(c.dropped, 1, 'the oldest watch made room');
  c.onEvent(complete('a1', 'ch1'));
  c.onEvent(complete('zz', 'ch2'));
  c.onEvent(complete('a3', 'ch2'));
  c.onEvent(complete('a3', 'ch2'));
  assert.deepEqual(got, ['a3']);
  const destroy = EslEvent.create('CHANNEL_DESTROY');
  destroy.addHeader('Unique-ID', 'ch2');
  c.onEvent(destroy);
  assert.equal(c.pending, 0);
  const off = c.watch('a4', 'ch3', () => got.push('a4'));
  off();
  c.onEvent(complete('a4', 'ch3'));
  assert.deepEqual(got, ['a3']);
});

void test('a full watch table: the evicted watch is told (forward_to gets FSBUS_ERR_BUS_BUSY), not left to its timeout', async () => {
  const c = new ExecuteCompletions(1);
  const gone: Array<[string, WatchEnd]> = [];
  c.watch('a1', 'ch1', () => undefined, (end) => gone.push(['a1', end]));
  c.watch('a2', 'ch2', () => undefined, (end) => gone.push(['a2', end]));
  assert.deepEqual([gone, c.pending, c.dropped], [[['a1', 'evicted']], 1, 1]);

  // Through the command: the first request's forward_to hears why no completion will come.
  const published: Array<{ subject: string; body: Record<string, unknown> }> = [];
  const handler = createExecuteAppCommand({
    nodeId: 'cc-1',
    completions: new ExecuteCompletions(1),
    sendmsg: () => Promise.resolve('+OK'),
    publish: (subject, data) => published.push({ subject, body: JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown> }),
  });
  const ctx = { nodeId: 'cc-1', timeoutMs: 1000, signal: new AbortController().signal, api: () => Promise.resolve('+OK'), bgapi: () => Promise.reject(new Error('unused')), status: () => ({}) };
  const run = (forward: string) =>
    handler.run({ command: 'execute_app', forward_to: forward, correlation_id: `corr-${forward}`, fields: { uuid: `ch-${forward}`, app: 'playback', args: 'x.wav' } }, ctx);
  const first = await run('a');
  assert.equal(first.ok, true);
  assert.equal(published.length, 0);
  await run('b');
  assert.equal(published.length, 1, 'the evicted watch is told at once');
  const [told] = published;
  assert.equal(told?.subject, 'a');
  assert.equal(told?.body['success'], false);
  assert.equal(told?.body['code'], BusErrorCode.BUSY);
  assert.equal(told?.body['message'], ExecuteAppMessage.EVICTED);
  assert.equal(told?.body['correlation_id'], 'corr-a');
  assert.deepEqual(told?.body['data'], first.ok ? first.data : undefined);
});

void describe('commands.max_execute_watches bounds the completions awaited (agent over NATS, simulator)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ commands: { max_execute_watches: 1 } });
  });
  after(() => rig.stop());

  void test('a second wait past the bound of 1 drops the first: its forward_to is told at once', async () => {
    rig.sim.core.control.setEndpointBehavior('user/2001', { answer: 'answer' });
    const uuid = randomUUID();
    const o = await rig.request({ command: 'originate', endpoint: 'user/2001', extension: '&park()', uuid });
    assert.equal(o.success, true, JSON.stringify(o));
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'the channel parked');
    const first = await rig.inbox('cc.exec.bound.1');
    // Ten seconds of tone: the first wait is still open when the second begins.
    const long = 'tone_stream://%(10000,0,440)';
    const r1 = await rig.request({ command: 'execute_app', uuid, app: 'playback', args: long, forward_to: 'cc.exec.bound.1' });
    assert.equal(r1.success, true, JSON.stringify(r1));
    const r2 = await rig.request({ command: 'execute_app', uuid, app: 'playback', args: long, forward_to: 'cc.exec.bound.2' });
    assert.equal(r2.success, true, JSON.stringify(r2));
    const [, told] = await first.count(2);
    const envelope = JSON.parse(told!) as ReplyEnvelope;
    assert.equal(envelope.success, false);
    assert.equal(envelope.code, BusErrorCode.BUSY);
    assert.equal(envelope.message, ExecuteAppMessage.EVICTED);
    assert.deepEqual(envelope.data, r1.data);
    const status = await rig.request({ command: 'agent.status' });
    assert.equal((status.data as { counters: Record<string, number> }).counters['execute_watches_evicted'], 1);
    await rig.request({ command: 'hangup', uuid });
  });
});
