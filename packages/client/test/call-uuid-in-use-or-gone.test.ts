// A contact-centre developer's review, through the SDK (real agent, simulated FreeSWITCH, real
// nats-server): an originate whose preset uuid (a CRM's own id) named a live call resolved with
// the other call FreeSWITCH made instead, without saying so — and an async one returned the
// asked id, naming the OTHER call; a hangup of a channel that is gone was FSBUS_ERR_BUS_COMMAND_FAILED
// with FreeSWITCH's raw text, where execute_app on the same uuid is FSBUS_ERR_BUS_SESSION_NOT_FOUND.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { BusErrorCode, decodeReply } from '@fsbus/contract';
import { startRig, type Rig } from '../../agent/test/call-control-harness.js';
import { connect, ReplyError, type FsbusClient } from '../src/index.js';

const NODE = 'cc-1';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('a preset uuid in use, a channel gone (SDK, real agent)', () => {
  let rig: Rig;
  let bus: FsbusClient;
  before(async () => {
    rig = await startRig();
    bus = await connect({ servers: rig.nats.url, timeoutMs: 5000 });
    rig.sim.core.control.setEndpointBehavior('user/2300', { answer: 'answer' });
  });
  after(async () => {
    await bus?.close();
    await rig?.stop();
  });

  void it('originate with a uuid in use: the result names the call made, and the uuid asked for as requestedUuid', async () => {
    const first = await bus.originate({ endpoint: 'user/2300', extension: '&park()', uuid: 'crm_call.1' });
    assert.equal(first.uuid, 'crm_call.1');
    assert.equal('requestedUuid' in first, false, 'only when FreeSWITCH used another uuid');
    const second = await bus.originate({ endpoint: 'user/2300', extension: '&park()', uuid: 'crm_call.1' });
    assert.notEqual(second.uuid, 'crm_call.1');
    assert.equal(second.result, `+OK ${second.uuid}`);
    assert.equal(second.requestedUuid, 'crm_call.1');
    // A cause by its number is typed too (17: USER_BUSY).
    await bus.hangup(second.uuid, 17, { node: NODE });
    const done = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === second.uuid, 'the second call ended');
    assert.equal(done.headers['Hangup-Cause'], 'USER_BUSY');
    await bus.hangup(first.uuid, 'NORMAL_CLEARING', { node: NODE });
  });

  void it('async originate with a uuid in use: refused before FreeSWITCH is asked, the refusal at forwardTo', async () => {
    const live = await bus.originate({ endpoint: 'user/2300', extension: '&park()', uuid: 'crm_call.2' });
    const subject = 'results.originate.in-use';
    const box = await rig.inbox(subject);
    const sent = await bus.originate({ endpoint: 'user/2300', extension: '&park()', uuid: 'crm_call.2', async: true, forwardTo: subject });
    assert.equal(sent.uuid, 'crm_call.2');
    const [text] = await box.count(1);
    const reply = decodeReply(new TextEncoder().encode(text));
    assert.equal(reply.success, false, text);
    assert.equal(reply.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(reply.message, 'uuid crm_call.2 is in use by a live channel: no call was placed');
    assert.deepEqual(reply.data, { uuid: 'crm_call.2' });
    // No second call: the only channel of the endpoint is the live one.
    const channels = JSON.parse(await bus.node(NODE).api('show', 'channels as json')) as { row_count: number; rows?: Array<{ uuid: string }> };
    assert.deepEqual((channels.rows ?? []).map((r) => r.uuid), [live.uuid]);
    await bus.hangup(live.uuid, 'NORMAL_CLEARING', { node: NODE });
  });

  void it('hangup of a channel that is gone: FSBUS_ERR_BUS_SESSION_NOT_FOUND with {uuid}, as execute_app', async () => {
    const hangup = await rejection(bus.node(NODE).hangup('no-such-uuid-1234'));
    assert.ok(hangup instanceof ReplyError, String(hangup));
    assert.equal(hangup.code, BusErrorCode.SESSION_NOT_FOUND);
    assert.equal(hangup.message, 'Channel hangup failed: no such channel');
    assert.deepEqual(hangup.data, { uuid: 'no-such-uuid-1234' });
    const execute = await rejection(bus.node(NODE).executeApp({ uuid: 'no-such-uuid-1234', app: 'playback', args: 'silence_stream://10' }));
    assert.ok(execute instanceof ReplyError, String(execute));
    assert.equal(execute.code, hangup.code);
    assert.deepEqual(execute.data, hangup.data);
  });
});
