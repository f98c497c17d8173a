/**
 * switch_core_session_locate refuses a channel once its hangup has begun (state >= CS_HANGUP):
 * a channel kept in CS_REPORTING by a lingering `myevents <uuid>` listener is still listed by
 * `show channels`, but the uuid_* commands, `sendmsg <uuid>` and `myevents <uuid>` no longer
 * find it. And `linger ` (trailing blank) lingers 0 seconds, as FreeSWITCH tests the uncut line.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

const apiBody = async (c: WireClient, command: string): Promise<string> => (await c.command(`api ${command}`)).body?.toString() ?? '';

void describe('a channel whose hangup has begun', () => {
  let sim: Simulator;
  let port = 0;
  before(async () => {
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
    ({ port } = await sim.start());
  });
  after(() => sim.stop());

  void it('is not found by uuid_* / sendmsg / myevents, yet listed by show channels until destroyed', async () => {
    const uuid = 'abcdef00-2222-4222-8333-444444444444';
    const control = await WireClient.authed(port);
    assert.equal(await apiBody(control, `originate {origination_uuid=${uuid}}loopback/7001 &park()`), `+OK ${uuid}\n`);
    const holder = await WireClient.authed(port);
    assert.equal(await holder.replyText(`myevents ${uuid}`), '+OK Events Enabled');
    assert.equal(await holder.replyText('linger'), '+OK will linger');
    assert.equal(await apiBody(control, `uuid_kill ${uuid}`), '+OK\n');
    await holder.nextOfType('text/disconnect-notice');

    assert.equal(await apiBody(control, `uuid_exists ${uuid}`), 'false');
    assert.equal(await apiBody(control, `uuid_kill ${uuid}`), '-ERR No such channel!\n');
    assert.equal(await apiBody(control, `uuid_getvar ${uuid} uuid`), '-ERR No such channel!\n');
    assert.equal(await apiBody(control, `uuid_dump ${uuid}`), '-ERR No such channel!\n');
    assert.equal(await apiBody(control, `uuid_setvar ${uuid} x 1`), '-ERR No such channel!\n');
    assert.equal(await apiBody(control, `uuid_broadcast ${uuid} tone_stream://%(1,0,1)`), '-ERR invalid uuid\n');
    assert.equal(await control.replyText(`sendmsg ${uuid}\ncall-command: hangup`), `-ERR invalid session id [${uuid}]`);
    const late = await WireClient.authed(port);
    assert.equal(await late.replyText(`myevents ${uuid} plain`), '-ERR invalid uuid');
    late.close();
    // The holder's own session is not looked up: its sendmsg is queued as FreeSWITCH does.
    assert.equal(await holder.replyText('sendmsg\ncall-command: hangup'), '+OK');
    assert.ok((await apiBody(control, 'show channels')).includes(uuid), 'still listed: not destroyed while the listener holds it');

    assert.equal(await holder.replyText('exit'), '+OK bye');
    await holder.waitClosed();
    control.close();
  });

  void it('`linger ` with a trailing blank lingers 0 seconds (FreeSWITCH reads the line feeds after it)', async () => {
    const uuid = 'abcdef00-3333-4222-8333-444444444444';
    const control = await WireClient.authed(port);
    assert.equal(await apiBody(control, `originate {origination_uuid=${uuid}}loopback/7001 &park()`), `+OK ${uuid}\n`);
    const mine = await WireClient.authed(port);
    assert.equal(await mine.replyText(`myevents ${uuid}`), '+OK Events Enabled');
    assert.equal(await mine.replyText('linger '), '+OK will linger 0 seconds');
    assert.equal(await mine.replyText('linger 7'), '+OK will linger 7 seconds');
    assert.equal(await mine.replyText('linger'), '+OK will linger');
    assert.equal(await apiBody(control, `uuid_kill ${uuid}`), '+OK\n');
    mine.close();
    control.close();
  });
});
