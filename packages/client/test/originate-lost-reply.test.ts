// An originate the SDK stops waiting for before the agent's reply (its own timeout, an abort)
// still names the call it placed: the uuid the SDK chose is on the error, and that very call may
// connect afterwards. Real agent, simulated FreeSWITCH, real nats-server: the callee is a
// loopback leg parked (unanswered) by park mode, answered by the test only once the SDK gave up —
// so the call connects after the error, whatever the timing.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startRig, type Rig } from '../../agent/test/call-control-harness.js';
import { ClientError, ClientErrorCode, connect, placedCallUuid, type FsbusClient } from '../src/index.js';

const NODE = 'cc-1';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('originate: the uuid on an error without the agent\'s reply', () => {
  let rig: Rig;
  let bus: FsbusClient;
  before(async () => {
    rig = await startRig();
    bus = await connect({ servers: rig.nats.url });
    // Silence, no auto-answer: a loopback b-leg sits parked and ringing until someone answers it.
    await bus.node(NODE).dialplan.enable();
  });
  after(async () => {
    await bus?.close();
    await rig?.stop();
  });

  /** The parked b-leg of the loopback call whose a-leg is `aLeg`. */
  const bLegOf = async (aLeg: string): Promise<string> => {
    const park = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.headers['variable_other_loopback_leg_uuid'] === aLeg, `the b-leg of ${aLeg} parked`);
    return park.uuid!;
  };

  /** Answers the b-leg: the a-leg — the originated call — connects. */
  const answerCall = async (aLeg: string): Promise<void> => {
    await bus.node(NODE).executeApp({ uuid: await bLegOf(aLeg), app: 'answer' });
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_ANSWER' && e.uuid === aLeg, `the call ${aLeg} answered`);
  };

  void it('the client timeout: FSBUS_ERR_CLIENT_TIMEOUT with data.uuid, the call that then connects', async () => {
    const err = await rejection(bus.originate({ endpoint: 'loopback/5100', extension: '&park()', ringTimeoutS: 120 }, { timeoutMs: 1000 }));
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.TIMEOUT);
    const uuid = placedCallUuid(err);
    assert.ok(uuid !== undefined, `the error carries the uuid it placed: ${err.message}`);
    assert.match(err.message, new RegExp(`watch its uuid ${uuid}`));
    await answerCall(uuid);
    await bus.hangup(uuid, undefined, { node: NODE });
  });

  void it('an abort: FSBUS_ERR_CLIENT_ABORTED with data.uuid, the call that then connects', async () => {
    const abort = new AbortController();
    const pending = rejection(bus.originate({ endpoint: 'loopback/5101', extension: '&park()', ringTimeoutS: 120 }, { signal: abort.signal }));
    // Aborted once the call rings (its b-leg parked): FreeSWITCH has it, the reply is still to come.
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.headers['Caller-Destination-Number'] === '5101', 'the call to 5101 ringing');
    abort.abort();
    const err = await pending;
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.ABORTED);
    const uuid = placedCallUuid(err);
    assert.ok(uuid !== undefined, `the error carries the uuid it placed: ${err.message}`);
    await answerCall(uuid);
    await bus.hangup(uuid, undefined, { node: NODE });
  });

  void it('an argument refused before sending carries no uuid: nothing was placed', async () => {
    const err = await rejection(bus.originate({ endpoint: 'user/1000', extension: '&park()' }, { timeoutMs: -1 }));
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT);
    assert.equal(placedCallUuid(err), undefined);
  });
});
