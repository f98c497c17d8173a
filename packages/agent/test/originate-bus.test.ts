// originate end to end: bus request → agent → bgapi on the simulator → reply mapped from the
// BACKGROUND_JOB, with the preset uuid in the events.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { BusErrorCode } from '@fsbus/contract';
import { startRig, type Rig } from './call-control-harness.js';

type OriginateData = { uuid: string; job_uuid: string; result: string; cause?: string };

void describe('originate over NATS against the simulator', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    const c = rig.sim.core.control;
    c.setEndpointBehavior('user/1000', { answer: 'answer' });
    c.setEndpointBehavior('user/1001', { answer: 'busy' });
    c.setEndpointBehavior('user/1002', { answer: 'no-answer' });
    c.setEndpointBehavior('user/1003', { answer: 'error:CALL_REJECTED' });
    c.setEndpointBehavior('user/1004', { answer: 'answer', delayMs: 600_000 });
  });
  after(() => rig.stop());

  void test('loopback, answered: preset uuid in data, result and events', async () => {
    const uuid = randomUUID();
    const r = await rig.request({ command: 'originate', endpoint: 'loopback/7001', extension: '7001', uuid });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.message, 'Call originated successfully');
    const d = r.data as OriginateData;
    assert.equal(d.uuid, uuid);
    assert.equal(d.result, `+OK ${uuid}`);
    assert.match(d.job_uuid, /^[0-9a-f-]{36}$/);
    const created = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_CREATE' && e.uuid === uuid, 'CHANNEL_CREATE of the preset uuid');
    assert.equal(created.headers['Channel-Name'], 'loopback/7001-a');
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_ANSWER' && e.uuid === uuid, 'CHANNEL_ANSWER');
    const job = await rig.events.waitFor((e) => e.event_name === 'BACKGROUND_JOB' && e.headers['Job-UUID'] === d.job_uuid, 'BACKGROUND_JOB');
    assert.match(job.headers['Job-Command-Arg'] ?? '', new RegExp(`origination_uuid=${uuid}`));
  });

  void test('user/ endpoint answered, &park without parentheses (the seed example)', async () => {
    const r = await rig.request({
      command: 'originate',
      endpoint: 'user/1000',
      destination: '&park',
      caller_id_name: 'Bot',
      caller_id_number: '5551234',
      variables: { custom_var: 'value' },
    });
    assert.equal(r.success, true, JSON.stringify(r));
    const { uuid } = r.data as OriginateData;
    const park = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'CHANNEL_PARK of the originated leg');
    assert.equal(park.headers['variable_custom_var'], 'value');
    assert.equal(park.headers['variable_origination_caller_id_name'], 'Bot');
  });

  const failures: Array<[string, string, number | undefined]> = [
    ['user/1001', 'USER_BUSY', undefined],
    ['user/1002', 'NO_ANSWER', 1],
    ['user/1003', 'CALL_REJECTED', undefined],
  ];
  for (const [endpoint, cause, timeout] of failures) {
    void test(`${endpoint} → -ERR ${cause}: error envelope, data.cause, stable code`, async () => {
      const uuid = randomUUID();
      const r = await rig.request({ command: 'originate', endpoint, extension: '&park()', uuid, ...(timeout === undefined ? {} : { timeout }) });
      assert.equal(r.success, false);
      assert.equal(r.status, 'error');
      assert.equal(r.code, BusErrorCode.ORIGINATE_FAILED);
      assert.equal(r.message, `Call origination failed: ${cause}`);
      const d = r.data as OriginateData;
      assert.equal(d.cause, cause);
      assert.equal(d.uuid, uuid);
      assert.equal(d.result, `-ERR ${cause}`);
      const hup = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_HANGUP' && e.uuid === uuid, 'CHANNEL_HANGUP of the preset uuid');
      assert.equal(hup.headers['Hangup-Cause'], cause);
    });
  }

  void test('command timeout: the reply still names the uuid and the job to watch', async () => {
    const uuid = randomUUID();
    const r = await rig.request({ command: 'originate', endpoint: 'user/1004', extension: '&park()', uuid, timeout_ms: 300 });
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.TIMEOUT);
    const d = r.data as OriginateData;
    assert.equal(d.uuid, uuid);
    assert.match(d.job_uuid, /^[0-9a-f-]{36}$/);
    // The call is still ringing under the preset uuid; hang it up through the bus.
    const h = await rig.request({ command: 'hangup', uuid });
    assert.equal(h.success, true, JSON.stringify(h));
  });

  void test("a CRM's own ids: originate and hangup take the same uuid set (letters, digits, -, _, . and :)", async () => {
    const tag = randomUUID().slice(0, 8);
    for (const uuid of [`crm_call.${tag}`, `crm:${tag}.2`]) {
      const r = await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid });
      assert.equal(r.success, true, JSON.stringify(r));
      assert.equal((r.data as OriginateData).uuid, uuid);
      await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, `CHANNEL_PARK of ${uuid}`);
      const h = await rig.request({ command: 'hangup', uuid });
      assert.equal(h.success, true, JSON.stringify(h));
      await rig.events.waitFor((e) => e.event_name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === uuid, `hangup of ${uuid}`);
    }
    // What either refuses, both refuse alike: a blank, a comma or a brace would split uuid_kill's
    // arguments or the originate's {…} block.
    for (const uuid of ['crm call', 'crm,call', 'crm}call']) {
      for (const command of ['originate', 'hangup']) {
        const r = await rig.request({ command, endpoint: 'user/1000', extension: '&park()', uuid });
        assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, `${command} ${uuid}`);
        assert.equal(r.message, 'uuid must contain only letters, digits, -, _, . and :', `${command} ${uuid}`);
      }
    }
  });

  void test('hangup: an unknown cause is refused (FreeSWITCH would hang up with NORMAL_CLEARING); any case and Q.850 numbers are taken', async () => {
    const call = async (): Promise<string> => {
      const uuid = randomUUID();
      const r = await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid });
      assert.equal(r.success, true, JSON.stringify(r));
      return uuid;
    };
    const uuid = await call();
    const bogus = await rig.request({ command: 'hangup', uuid, cause: 'BOGUS_CAUSE' });
    assert.equal(bogus.code, BusErrorCode.INVALID_ARGUMENT);
    assert.match(bogus.message, /^cause must be a FreeSWITCH hangup cause/);
    assert.ok(rig.sim.core.hasChannel(uuid), 'the call is still up');
    // NONE is in FreeSWITCH's table but no cause to hang up with. (The number 0 is a Go client's
    // unset cause: NORMAL_CLEARING, zero-values.test.ts.)
    for (const none of ['NONE', '0']) assert.equal((await rig.request({ command: 'hangup', uuid, cause: none })).code, BusErrorCode.INVALID_ARGUMENT, String(none));
    for (const [cause, name, q850] of [['user_busy', 'USER_BUSY', '17'], [21, 'CALL_REJECTED', '21'], ['originator_cancel', 'ORIGINATOR_CANCEL', '16']] as const) {
      const id = cause === 'user_busy' ? uuid : await call();
      const h = await rig.request({ command: 'hangup', uuid: id, cause });
      assert.equal(h.success, true, JSON.stringify(h));
      assert.deepEqual(h.data, { uuid: id, cause: name });
      const done = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === id, `${name} hangup`);
      assert.equal(done.headers['Hangup-Cause'], name);
      // switch_channel_cause_q850: FreeSWITCH's own causes (above 127) report 16.
      assert.equal(done.headers['variable_hangup_cause_q850'], q850);
    }
  });

  void test('async: no reply; the preset uuid is used and the final result goes to forward_to', async () => {
    const uuid = randomUUID();
    const box = await rig.inbox('cc.results.originate');
    await rig.publish({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid, async: true, forward_to: 'cc.results.originate', correlation_id: 'job-1' });
    const [text] = await box.count(1);
    const env = JSON.parse(text!) as { success: boolean; message: string; data: OriginateData; correlation_id: string };
    assert.equal(env.success, true);
    assert.equal(env.message, 'Call originated successfully');
    assert.equal(env.data.uuid, uuid);
    assert.equal(env.correlation_id, 'job-1');
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_ANSWER' && e.uuid === uuid, 'CHANNEL_ANSWER of the async originate');
  });

  void test('variables are escaped: commas and blanks arrive intact, no extra variable appears', async () => {
    const r = await rig.request({
      command: 'originate',
      endpoint: 'user/1000',
      extension: '&park()',
      caller_id_name: 'Bot One',
      variables: { note: 'a,origination_caller_id_number=666', spaced: 'x y,z' },
    });
    assert.equal(r.success, true, JSON.stringify(r));
    const { uuid } = r.data as OriginateData;
    const park = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'CHANNEL_PARK');
    assert.equal(park.headers['variable_note'], 'a,origination_caller_id_number=666');
    assert.equal(park.headers['variable_spaced'], 'x y,z');
    assert.equal(park.headers['variable_origination_caller_id_name'], 'Bot One');
    assert.equal(park.headers['variable_origination_caller_id_number'], undefined);
  });

  const injections: Array<[string, Record<string, unknown>, RegExp]> = [
    ['endpoint with an app', { endpoint: 'user/1000 &bridge(user/1001)', extension: '1000' }, /^endpoint must not contain/],
    ['endpoint with a var block', { endpoint: '{origination_uuid=x}user/1000', extension: '1000' }, /^endpoint must not contain/],
    ['extension with dialplan/context', { endpoint: 'user/1000', extension: '1000 XML evil' }, /^extension must not contain/],
    ['app extension with a quote', { endpoint: 'user/1000', extension: "&park()' evil" }, /^extension must be &app/],
    ['variable name with a comma', { endpoint: 'user/1000', extension: '1000', variables: { 'a,b': '1' } }, /^variable name/],
    ['variable name closing the block', { endpoint: 'user/1000', extension: '1000', variables: { 'a}': '1' } }, /^variable name/],
    ['variable value closing the block', { endpoint: 'user/1000', extension: '1000', variables: { a: 'x}user/666' } }, /^variable a must/],
    ['variable value with a quote', { endpoint: 'user/1000', extension: '1000', variables: { a: "x'y" } }, /^variable a must/],
    ['variable value running an API', { endpoint: 'user/1000', extension: '1000', variables: { a: '${system(id)}' } }, /^variable a must/],
    ['caller id with a brace', { endpoint: 'user/1000', extension: '1000', caller_id_name: 'x}' }, /^caller_id_name must/],
    ['context with a blank', { endpoint: 'user/1000', extension: '1000', context: 'default evil' }, /^context must contain/],
    ['uuid with a blank', { endpoint: 'user/1000', extension: '1000', uuid: 'ab cd' }, /^uuid must contain/],
  ];
  for (const [name, fields, message] of injections) {
    void test(`injection refused: ${name}`, async () => {
      const before = rig.events.events.filter((e) => e.event_name === 'BACKGROUND_JOB').length;
      const r = await rig.request({ command: 'originate', ...fields });
      assert.equal(r.success, false);
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
      assert.match(r.message, message);
      // Nothing reached FreeSWITCH: a request/reply on the same lane is answered after any job it could have started.
      await rig.request({ command: 'status' });
      assert.equal(rig.events.events.filter((e) => e.event_name === 'BACKGROUND_JOB').length, before);
    });
  }

  void test('generic API with bg: true runs as bgapi and replies with the BACKGROUND_JOB body', async () => {
    const r = await rig.request({ command: 'version', bg: true });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.match(String(r.data), /^FreeSWITCH Version/);
    const job = await rig.events.waitFor((e) => e.event_name === 'BACKGROUND_JOB' && e.headers['Job-Command'] === 'version', 'BACKGROUND_JOB of version');
    assert.equal(job.body, r.data);
    const bad = await rig.request({ command: 'uuid_kill', args: randomUUID(), bg: true });
    assert.equal(bad.success, false);
    assert.equal(bad.code, BusErrorCode.COMMAND_FAILED);
    assert.match(String(bad.data), /^-ERR/);
  });
});

void describe('originate without timeout_ms waits as long as FreeSWITCH may ring, not the command timeout', () => {
  let rig: Rig;
  before(async () => {
    // A command timeout far below the time the far end takes to answer.
    rig = await startRig({ commands: { timeout_ms: 300 } });
    rig.sim.core.control.setEndpointBehavior('user/1005', { answer: 'answer', delayMs: 1500 });
  });
  after(() => rig.stop());

  for (const ring of [5, undefined]) {
    void test(`answered after 1.5 s, ring timeout ${ring ?? 'unset (FreeSWITCH: 60 s)'}: success, not a timeout`, async () => {
      const uuid = randomUUID();
      const r = await rig.request({ command: 'originate', endpoint: 'user/1005', extension: '&park()', uuid, ...(ring === undefined ? {} : { timeout: ring }) }, 20_000);
      assert.equal(r.success, true, JSON.stringify(r));
      assert.equal((r.data as OriginateData).uuid, uuid);
      assert.equal((await rig.request({ command: 'hangup', uuid })).success, true);
    });
  }

  void test('originate_retries with sleeps between attempts: the wait covers every attempt, the reply is the last cause', async () => {
    // Busy at once, 4 attempts 2.5 s apart: 7.5 s, past the 1 s ring + 5 s grace a single attempt needs.
    rig.sim.core.control.setEndpointBehavior('user/1006', { answer: 'busy' });
    const uuid = randomUUID();
    const variables = { originate_retries: 4, originate_retry_sleep_ms: 2500 };
    const r = await rig.request({ command: 'originate', endpoint: 'user/1006', extension: '&park()', uuid, timeout: 1, variables }, 30_000);
    assert.equal(r.code, BusErrorCode.ORIGINATE_FAILED, JSON.stringify(r));
    assert.equal(r.message, 'Call origination failed: USER_BUSY');
    const d = r.data as OriginateData;
    await rig.events.waitFor((e) => e.event_name === 'BACKGROUND_JOB' && e.headers['Job-UUID'] === d.job_uuid, 'BACKGROUND_JOB');
    assert.equal(rig.events.events.filter((e) => e.event_name === 'CHANNEL_CREATE' && e.uuid === uuid).length, 4, 'one leg per attempt, each with the preset uuid');
  });

  void test('other commands keep the configured command timeout', async () => {
    rig.sim.core.control.setLatency(1500);
    try {
      const r = await rig.request({ command: 'status' });
      assert.equal(r.code, BusErrorCode.TIMEOUT, JSON.stringify(r));
    } finally {
      rig.sim.core.control.setLatency(0);
    }
  });
});
