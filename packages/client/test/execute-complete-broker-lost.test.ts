// executeApp's completion wait across a broker restart. The agent buffers a completion that comes
// while the broker is away and publishes it when it is back, but this client may subscribe again
// after that (whichever reconnects first): the completion is then gone, and the wait runs out.
// Such a wait must say the connection was lost during it, not only "no completion": the
// application may well have completed. Waits are never failed at once on a disconnect (half of
// them still get their completion). Only what is certain is asserted: how a wait that fails fails.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Driver, DriverStatus } from '@fsbus/transport';
import { startRig, type Rig } from '../../agent/test/call-control-harness.js';
import { ClientError, ClientErrorCode, connect, type FsbusClient } from '../src/index.js';

const NODE = 'cc-1';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

/** Resolves on the driver's next `status` (bounded: the bound fails the test). */
function nextStatus(driver: Driver, status: DriverStatus, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`the client's driver did not become ${status}`));
    }, timeoutMs);
    const off = driver.on((e) => {
      if (e.type !== 'status' || e.status !== status) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

function dataOf(err: unknown): Record<string, unknown> {
  const data = (err as { data?: unknown }).data;
  assert.ok(typeof data === 'object' && data !== null, 'the error has a data object');
  return data as Record<string, unknown>;
}

void describe('executeApp completion wait across a broker restart', () => {
  let rig: Rig;
  let bus: FsbusClient;
  before(async () => {
    rig = await startRig();
    bus = await connect({ servers: rig.nats.url });
    rig.sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
  });
  after(async () => {
    await bus?.close();
    await rig?.stop();
  });

  /** A new answered channel sitting in park: each test its own, hung up at its end. */
  const parkedCall = async (): Promise<string> => {
    const uuid = randomUUID();
    await bus.originate({ endpoint: 'user/2000', extension: '&park()', uuid });
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'the channel parked');
    return uuid;
  };

  /** Waits 60 s for four digits: no completion comes within a test's wait unless digits are keyed. */
  const collectPin = (uuid: string, completeTimeoutMs: number) =>
    bus.node(NODE).executeApp({ uuid, app: 'play_and_get_digits', args: '4 4 1 60000 # a.wav b.wav pin \\d{4}', waitForComplete: true, completeTimeoutMs });

  /** Halts nats-server, returning once this client saw the connection go. */
  const haltBroker = async (): Promise<void> => {
    const away = nextStatus(bus.driver, 'reconnecting');
    await rig.nats.halt();
    await away;
  };

  /** Starts nats-server again, returning once this client is connected again. */
  const startBroker = async (): Promise<void> => {
    const back = nextStatus(bus.driver, 'connected');
    await rig.nats.start();
    await back;
  };

  void it('a wait that runs out after the connection was lost says so, and what to check', async () => {
    const uuid = await parkedCall();
    const ask = await collectPin(uuid, 3000);
    await haltBroker();
    await startBroker();
    const err = await rejection(ask.complete);
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.TIMEOUT);
    assert.match(err.message, /no CHANNEL_EXECUTE_COMPLETE within 3000 ms/);
    assert.match(err.message, /the broker connection was lost during the wait/);
    assert.match(err.message, new RegExp(`uuid_exists ${uuid}`));
    assert.deepEqual(dataOf(err), { uuid, application_uuid: ask.applicationUuid, app: 'play_and_get_digits', connection_lost: true });
    await bus.hangup(uuid, undefined, { node: NODE });
  });

  void it('a wait that runs out with the connection up keeps the plain message', async () => {
    const uuid = await parkedCall();
    const ask = await collectPin(uuid, 300);
    const err = await rejection(ask.complete);
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.TIMEOUT);
    assert.equal(err.message, 'execute_app: no CHANNEL_EXECUTE_COMPLETE within 300 ms');
    assert.equal(dataOf(err)['connection_lost'], false);
    await bus.hangup(uuid, undefined, { node: NODE });
  });

  void it('the caller keys digits while the broker is away: the completion, or a timeout naming the lost connection', async () => {
    const uuid = await parkedCall();
    const ask = await collectPin(uuid, 4000);
    await haltBroker();
    // The application completes while the broker is away: the agent holds its completion.
    assert.equal(rig.sim.core.control.sendDigits(uuid, '4321#'), true);
    await startBroker();
    try {
      const done = await ask.complete;
      assert.equal(done.variable('pin'), '4321');
    } catch (err) {
      assert.ok(err instanceof ClientError, String(err));
      assert.equal(err.code, ClientErrorCode.TIMEOUT);
      assert.match(err.message, /the broker connection was lost during the wait/);
    }
    await bus.hangup(uuid, undefined, { node: NODE });
  });
});
