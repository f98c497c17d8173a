// Go's encoding/json (a struct without `omitempty`) and protobuf's JSON mapping send every field
// of a request, an unset one as its type's zero value: "" for a string, 0 for a number. An
// OPTIONAL field sent so takes its default, as if absent (as null does), where "" or 0 is no
// valid value of it; a REQUIRED field sent as "" is still refused. Through a real agent on a real
// broker (nats-server), with the simulated FreeSWITCH.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { buildOriginate } from '@fsbus/agent';
import { BusErrorCode, type ReplyEnvelope } from '@fsbus/contract';
import { originateCommand } from '../src/commands/originate.js';
import { startRig, type Rig } from './call-control-harness.js';

/** The envelope fields a Go struct of the request sends when the caller sets none of them. */
const goEnvelope = { args: '', node_id: '', async: false, forward_to: '', correlation_id: '', timeout_ms: 0, bg: false };

const ok = (r: ReplyEnvelope): void => assert.equal(r.success, true, JSON.stringify(r));

void describe('zero values of optional fields take their defaults', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());

  const park = async (): Promise<string> => {
    const uuid = randomUUID();
    ok(await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid }));
    return uuid;
  };

  void test('the envelope: timeout_ms 0 is no timeout, an empty correlation_id none (not echoed)', async () => {
    ok(await rig.request({ command: 'status', timeout_ms: 0 }));
    const r = await rig.request({ command: 'status', ...goEnvelope });
    ok(r);
    assert.equal(r.correlation_id, undefined, 'an empty correlation_id is none');
  });

  void test('originate: dialplan, context, uuid, caller ids "" and timeout 0 are the defaults', async () => {
    const r = await rig.request({
      command: 'originate',
      ...goEnvelope,
      endpoint: 'user/1000',
      extension: '&park()',
      destination: '',
      dialplan: '',
      context: '',
      caller_id_name: '',
      caller_id_number: '',
      timeout: 0,
      variables: null,
      uuid: '',
    });
    ok(r);
    const uuid = (r.data as { uuid: string }).uuid;
    assert.match(uuid, /^[0-9a-f-]{36}$/, 'the agent chose the uuid');
    assert.ok(rig.sim.core.hasChannel(uuid));
    ok(await rig.request({ command: 'hangup', uuid }));
    // The alias: an empty extension beside a destination is no extension.
    ok(await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '', destination: '&park()', uuid: '' }));
    for (const [field, zero] of [['dialplan', ''], ['context', ''], ['uuid', ''], ['timeout', 0]] as const) {
      const z = await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', [field]: zero });
      ok(z);
    }
  });

  void test('originate: the line built from zero values is the one built without them', () => {
    const call = { endpoint: 'user/1000', extension: '1000', uuid: 'crm_call.1' };
    const zeros = { ...call, destination: '', dialplan: '', context: '', caller_id_name: '', caller_id_number: '', timeout: 0, variables: null };
    const a = buildOriginate(zeros);
    const b = buildOriginate(call);
    assert.ok('line' in a && 'line' in b, JSON.stringify(a));
    assert.equal(a.line, b.line);
    assert.equal(a.line, 'originate {origination_uuid=crm_call.1,fsbus_originated=crm_call.1}user/1000 1000 XML default');
    // The agent's wait too: timeout 0 is FreeSWITCH's 60 s, and a leg_timeout beside it still counts.
    const wait = (fields: Record<string, unknown>): number | undefined => originateCommand.waitMs?.({ command: 'originate', fields }, 30_000);
    const legs = { ...call, variables: { leg_timeout: 120 } };
    assert.equal(wait({ ...legs, timeout: 0 }), wait(legs));
    assert.equal(wait({ ...call, timeout: 0 }), wait(call));
    assert.ok(wait(legs)! > 120_000, String(wait(legs)));
  });

  void test('hangup: cause "" or 0 is NORMAL_CLEARING', async () => {
    for (const cause of ['', 0]) {
      const uuid = await park();
      const h = await rig.request({ command: 'hangup', ...goEnvelope, uuid, cause });
      ok(h);
      assert.deepEqual(h.data, { uuid, cause: 'NORMAL_CLEARING' }, JSON.stringify(cause));
    }
  });

  void test('execute_app: args "", vars null, event_lock false are the defaults', async () => {
    const uuid = await park();
    const r = await rig.request({ command: 'execute_app', ...goEnvelope, uuid, app: 'answer', args: '', vars: null, event_lock: false });
    ok(r);
    ok(await rig.request({ command: 'hangup', uuid }));
  });

  void test('dialplan.audio music_class "" and dialplan.timeout cause "" or 0 take their defaults', async () => {
    const before = await rig.request({ command: 'dialplan.audio', mode: 'music', music_class: 'moh' });
    ok(before);
    const audio = await rig.request({ command: 'dialplan.audio', ...goEnvelope, mode: 'ringback', music_class: '' });
    ok(audio);
    assert.equal((audio.data as { music_class: string }).music_class, 'moh', 'unchanged, as when absent');
    for (const cause of ['', 0]) {
      ok(await rig.request({ command: 'dialplan.timeout', seconds: 30, cause: 'USER_BUSY' }));
      const t = await rig.request({ command: 'dialplan.timeout', ...goEnvelope, seconds: 0, cause });
      ok(t);
      assert.equal((t.data as { timeout_cause: string }).timeout_cause, 'ALLOTTED_TIMEOUT', JSON.stringify(cause));
      assert.equal((t.data as { timeout_seconds: number }).timeout_seconds, 0, 'seconds 0 is a value: no timeout');
    }
  });

  void test('a REQUIRED field sent as "" is still refused', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ command: 'hangup', uuid: '' }, 'uuid must be between 2 and 63 characters'],
      [{ command: 'originate', endpoint: '', extension: '&park()' }, 'endpoint must be between 1 and 255 characters'],
      [{ command: 'originate', endpoint: 'user/1000', extension: '', destination: '' }, 'extension must be between 1 and 255 characters'],
      [{ command: 'originate', endpoint: 'user/1000', extension: '&park()', timeout: -1 }, 'timeout must be an integer number of seconds (1-3600)'],
      [{ command: 'execute_app', uuid: '', app: 'answer' }, "execute_app: 'uuid' field required"],
      [{ command: 'execute_app', uuid: 'abc', app: '' }, "execute_app: 'app' field required"],
      [{ command: 'dialplan.audio', mode: '' }, 'Invalid mode. Use silence, ringback, or music'],
      [{ command: 'status', timeout_ms: -1 }, 'timeout_ms must be a positive number'],
    ];
    for (const [body, message] of cases) {
      const r = await rig.request({ ...goEnvelope, ...body });
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, JSON.stringify(body));
      assert.equal(r.message, message, JSON.stringify(body));
    }
  });
});
