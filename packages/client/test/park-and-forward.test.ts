// dialplan.timeout with a hangup cause, dialplan.status typed as the agent's park status, and an
// originate's forward_to (`forwardTo`): the final reply of a fire-and-forget originate published
// where the caller listens. Real agent, simulated FreeSWITCH, real nats-server; the one bad
// status comes from a stand-in responder.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { decodeReply, encodeReply, successReply } from '@fsbus/contract';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { expectTypeOf } from 'expect-type';
import { startRig, type Rig } from '../../agent/test/call-control-harness.js';
import { ClientError, ClientErrorCode, connect, ReplyError, type FsbusClient, type ParkStatus, type Reply } from '../src/index.js';

const NODE = 'cc-1';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('dialplan.timeout cause, dialplan.status data, originate forwardTo (real agent)', () => {
  let rig: Rig;
  let bus: FsbusClient;
  before(async () => {
    rig = await startRig();
    bus = await connect({ servers: rig.nats.url });
  });
  after(async () => {
    await bus?.close();
    await rig?.stop();
  });

  void it('dialplan.timeout(seconds, cause) sets the cause; (seconds) and (seconds, options) still work', async () => {
    const dp = bus.node(NODE).dialplan;
    const current = async (): Promise<[number, string]> => {
      const { data } = await dp.status();
      return [data.timeout_seconds, data.timeout_cause];
    };
    const withCause = await dp.timeout(2, 'USER_BUSY');
    assert.equal(withCause.message, 'Park timeout updated');
    assert.deepEqual(await current(), [2, 'USER_BUSY']);
    await dp.timeout(5, 'ALLOTTED_TIMEOUT', { timeoutMs: 3000 });
    assert.deepEqual(await current(), [5, 'ALLOTTED_TIMEOUT']);
    await bus.dialplan.timeout(0, { node: NODE });
    assert.equal((await current())[0], 0);
    await dp.timeout(7);
    assert.equal((await current())[0], 7);
    // The agent's own check of the cause, as for hangup.
    const bad = await rejection(dp.timeout(2, 'NOT_A_CAUSE'));
    assert.ok(bad instanceof ReplyError);
    // Neither a cause nor options: refused before sending.
    const wrong = await rejection(dp.timeout(2, 17 as unknown as string));
    assert.ok(wrong instanceof ClientError);
    assert.equal(wrong.code, ClientErrorCode.INVALID_ARGUMENT);
    assert.match(wrong.message, /dialplan\.timeout: cause must be a string/);
  });

  void it('dialplan.status() resolves with the agent\'s park status, every field typed', async () => {
    const status = await bus.node(NODE).dialplan.status();
    expectTypeOf(status).toEqualTypeOf<Reply<ParkStatus>>();
    const data: ParkStatus = status.data;
    assert.deepEqual(Object.keys(data).sort(), [
      'autoanswer', 'available', 'calls_parked', 'enabled', 'endpoint', 'lookups', 'lookups_parked', 'mode',
      'music_class', 'parked_now', 'state_file', 'timeout_cause', 'timeout_seconds',
    ]);
    assert.equal(data.available, true);
    assert.equal(data.enabled, false);
    assert.equal(data.mode, 'silence');
    assert.equal(data.state_file, null);
    assert.match(data.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+\/dialplan$/);
    assert.equal(typeof data.parked_now, 'number');
  });

  void it('originate({ async: true, forwardTo }): the final reply is published to forwardTo', async () => {
    rig.sim.core.control.setEndpointBehavior('user/2100', { answer: 'answer' });
    const subject = 'results.originate.a1';
    const box = await rig.inbox(subject);
    const { uuid } = await bus.originate({ endpoint: 'user/2100', extension: '&park()', async: true, forwardTo: subject });
    const [text] = await box.count(1);
    const reply = decodeReply(new TextEncoder().encode(text));
    assert.equal(reply.success, true, text);
    assert.equal((reply.data as { uuid?: unknown }).uuid, uuid);
    await bus.hangup(uuid, undefined, { node: NODE });
  });

  void it('originate({ forwardTo }) waiting for the reply: the reply, and a copy at forwardTo', async () => {
    rig.sim.core.control.setEndpointBehavior('user/2101', { answer: 'answer' });
    const subject = 'results.originate.a2';
    const box = await rig.inbox(subject);
    const call = await bus.originate({ endpoint: 'user/2101', extension: '&park()', forwardTo: subject });
    const [text] = await box.count(1);
    assert.equal((decodeReply(new TextEncoder().encode(text)).data as { uuid?: unknown }).uuid, call.uuid);
    await bus.hangup(call.uuid, undefined, { node: NODE });
  });

  void it('a forwardTo no agent would publish to is refused before sending', async () => {
    for (const forwardTo of ['freeswitch.events.x', 'freeswitch.api', '$JS.API.x', 'a..b', 'a b', '', 'results.>']) {
      for (const async of [true, false]) {
        const err = await rejection(Promise.resolve().then(() => bus.originate({ endpoint: 'user/2100', extension: '&park()', async, forwardTo })));
        assert.ok(err instanceof ClientError, `${forwardTo}: ${String(err)}`);
        assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, forwardTo);
        assert.match(err.message, /^originate: forwardTo /);
      }
    }
  });
});

/** What an fsbus agent answers dialplan.status with. */
const GOOD_STATUS: ParkStatus = {
  available: true, endpoint: 'http://127.0.0.1:8040/dialplan', enabled: false, mode: 'silence', music_class: 'moh', autoanswer: false,
  timeout_seconds: 0, timeout_cause: 'ALLOTTED_TIMEOUT', calls_parked: 0, parked_now: 0, lookups: 0, lookups_parked: 0, state_file: null,
};

void describe('dialplan.status() against an answer that is not a park status', () => {
  void it('rejects with FSBUS_ERR_CLIENT_BAD_REPLY naming the field', async (t) => {
    const nats = await startNatsServer();
    const lane = await createDriver('nats', { urls: [nats.url], name: 'stand-in agent' });
    const client = await connect({ servers: nats.url, prefix: 'standin' });
    t.after(async () => {
      await client.close();
      await lane.close();
      await nats.stop();
    });
    await lane.connect();
    lane.serve({ subject: 'standin.api', competing: true }, () =>
      encodeReply(successReply({ nodeId: 'stand-in', message: 'Dialplan status retrieved', data: { ...GOOD_STATUS, enabled: 'yes' } })),
    );
    await lane.flush();
    const err = await rejection(client.dialplan.status());
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.BAD_REPLY);
    assert.equal(err.message, "dialplan.status request: the reply of node 'stand-in' is not a park status: data.enabled is not a boolean (got a string)");
  });
});
