/**
 * The SIP variables mod_sofia (FreeSWITCH 1.10.12) leaves on an outbound sofia/ or user/ leg when
 * it ends: refused by the far end (sofia_handle_sip_r_invite, then nua_callstate_terminated:
 * sip_term_status, proto_specific_hangup_cause, sip_term_cause), cancelled by us before an answer
 * (sofia_on_hangup: send_cancel, 487) or hung up by us once answered (send_bye). The simulator's
 * far end answers with the SIP code mod_sofia's hangup_cause_to_sip gives the scripted cause.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, bridgingExtension, extension, on, type JsonEvent } from './api-wire.js';

const wire = apiWirePerTest({ dialplan: { default: [bridgingExtension('8000', 'b0000000-0000-4000-8000-000000000001'), extension('7002', [{ application: 'hangup', data: 'USER_BUSY' }])] } });

const SIP_VARS = ['sip_hangup_disposition', 'sip_invite_failure_status', 'sip_invite_failure_phrase', 'sip_term_status', 'proto_specific_hangup_cause', 'sip_term_cause'];
const sipVars = (e: JsonEvent): Record<string, string> =>
  Object.fromEntries(SIP_VARS.flatMap((k) => (e[`variable_${k}`] === undefined ? [] : [[k, e[`variable_${k}`] ?? '']])));
const completeOf = (name: string) => (e: JsonEvent): boolean => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE' && e['Channel-Name'] === name;
/** The channel a user/ leg gets (sofia/internal/<user>@<domain>). */
const userLeg = (user: string): string => `sofia/internal/${user}@127.0.0.1`;

void it('a busy user/ leg: 486 Busy Here received, in CHANNEL_HANGUP and CHANNEL_HANGUP_COMPLETE', async () => {
  const w = await wire();
  w.sim.core.control.setEndpointBehavior('user/1001', { answer: 'busy' });
  assert.equal(await w.api('originate user/1001 &park()'), '-ERR USER_BUSY\n');
  const refused = { sip_hangup_disposition: 'recv_refuse', sip_invite_failure_status: '486', sip_invite_failure_phrase: 'Busy Here', sip_term_status: '486', proto_specific_hangup_cause: 'sip:486', sip_term_cause: '17' };
  const complete = await w.until(completeOf(userLeg('1001')));
  assert.deepEqual(sipVars(complete), refused);
  const hangup = w.seen.find((e) => e['Event-Name'] === 'CHANNEL_HANGUP' && e['Channel-Name'] === userLeg('1001'));
  assert.deepEqual(sipVars(hangup ?? {}), refused, 'set before switch_channel_hangup');
});

void it('a sofia/ leg refused with a cause: the SIP code hangup_cause_to_sip maps it to', async () => {
  const w = await wire();
  w.sim.core.control.setEndpointBehavior('sofia/external', { answer: 'error:CALL_REJECTED' });
  w.sim.core.control.setEndpointBehavior('user/1003', { answer: 'error:NO_ROUTE_DESTINATION' });
  assert.equal(await w.api('originate sofia/external/123@example.com &park()'), '-ERR CALL_REJECTED\n');
  assert.deepEqual(sipVars(await w.until(completeOf('sofia/external/123@example.com'))), {
    sip_hangup_disposition: 'recv_refuse', sip_invite_failure_status: '603', sip_invite_failure_phrase: 'Decline', sip_term_status: '603', proto_specific_hangup_cause: 'sip:603', sip_term_cause: '21',
  });
  assert.equal(await w.api('originate user/1003 &park()'), '-ERR NO_ROUTE_DESTINATION\n');
  assert.deepEqual(sipVars(await w.until(completeOf(userLeg('1003')))), {
    sip_hangup_disposition: 'recv_refuse', sip_invite_failure_status: '404', sip_invite_failure_phrase: 'Not Found', sip_term_status: '404', proto_specific_hangup_cause: 'sip:404', sip_term_cause: '3',
  });
});

void it('cancelled before an answer: send_cancel and 487 in CHANNEL_HANGUP_COMPLETE only; hung up once answered: send_bye', async () => {
  const w = await wire();
  w.sim.core.control.setEndpointBehavior('user/1002', { answer: 'no-answer' });
  w.sim.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  assert.equal(await w.api('originate {originate_timeout=1}user/1002 &park()'), '-ERR NO_ANSWER\n');
  assert.deepEqual(sipVars(await w.until(completeOf(userLeg('1002')))), { sip_hangup_disposition: 'send_cancel', sip_invite_failure_status: '487', sip_invite_failure_phrase: 'CANCEL' });
  const hangup = w.seen.find((e) => e['Event-Name'] === 'CHANNEL_HANGUP' && e['Channel-Name'] === userLeg('1002'));
  assert.deepEqual(sipVars(hangup ?? {}), {}, 'sofia_on_hangup sets them in CS_HANGUP, after CHANNEL_HANGUP');
  const uuid = (await w.api('originate user/1000 &park()')).slice(4, -1);
  assert.equal(await w.api(`uuid_kill ${uuid}`), '+OK\n');
  assert.deepEqual(sipVars(await w.until(on(uuid, 'CHANNEL_HANGUP_COMPLETE'))), { sip_hangup_disposition: 'send_bye' });
});

void it('loopback/ and error/ legs carry no SIP variables', async () => {
  const w = await wire();
  assert.equal(await w.api('originate loopback/7002 &park()'), '-ERR USER_BUSY\n');
  const b = await w.until(completeOf('loopback/7002-b'));
  const a = await w.until(completeOf('loopback/7002-a'));
  assert.deepEqual([sipVars(a), sipVars(b)], [{}, {}]);
  assert.equal(await w.api('originate error/user_busy &park()'), '-ERR USER_BUSY\n');
  assert.deepEqual(w.seen.filter((e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE').map(sipVars).filter((v) => Object.keys(v).length > 0), []);
});

void it('a bridge refused by its callee: the caller learns the failure status and phrase (switch_channel_set_variable_partner)', async () => {
  const w = await wire();
  w.sim.core.control.setEndpointBehavior('user/1000', { answer: 'busy' });
  assert.match(await w.api('originate loopback/8000 &park()'), /^\+OK /);
  const done = await w.until((e) => e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE' && e.Application === 'bridge' && e['Channel-Name'] === 'loopback/8000-b');
  assert.deepEqual([done['variable_sip_invite_failure_status'], done['variable_sip_invite_failure_phrase'], done['variable_sip_hangup_phrase']], ['486', 'Busy Here', 'Busy Here']);
  assert.equal(done['variable_sip_term_status'], undefined, 'the leg\'s own variables stay on it');
});
