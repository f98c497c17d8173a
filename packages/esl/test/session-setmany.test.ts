// EslSession.setMany against @fsbus/sim: the simulator's `&socket(...)` connects to a real
// EslServer. An invalid name rejects before any `set` is sent (all-or-nothing), and no `set`
// promise is left without a handler (one rejecting later would kill the process).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslInvalidArgumentError } from '../src/index.js';
import { bounded, nextEvent } from './support/scripted-peer.js';
import { withOutboundSession } from './support/sim-outbound.js';

/** Collects the process's unhandled rejections while `fn` runs (and the turns right after). */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    // Unhandled rejections are reported once the microtask queue drained: a few event-loop turns.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}

const isInvalidName = (e: unknown): boolean => e instanceof EslInvalidArgumentError && /bad name/.test(e.message);

void test('sim: setMany with an invalid name rejects and sends no set at all (all-or-nothing)', async () => {
  await withOutboundSession(async (session, client) => {
    const uuid = session.uuid;
    assert.notEqual(uuid, '');
    await assert.rejects(session.setMany({ good_var: '1', 'bad name': 'x', later_var: '2' }), isInvalidName);
    // The channel runs its applications in order: once this set completes, any set sent before it has run.
    await bounded(session.set('after_var', 'yes'), 'a later set');
    assert.equal(await client.api(`uuid_getvar ${uuid} after_var`), 'yes');
    assert.equal(await client.api(`uuid_getvar ${uuid} good_var`), '_undef_');
    assert.equal(await client.api(`uuid_getvar ${uuid} later_var`), '_undef_');
    // Valid names still go out, in order.
    await bounded(session.setMany({ good_var: '1', later_var: '2' }), 'setMany');
    assert.equal(await client.api(`uuid_getvar ${uuid} good_var`), '1');
    assert.equal(await client.api(`uuid_getvar ${uuid} later_var`), '2');
    await session.hangup('NORMAL_CLEARING');
  });
});

void test('sim: destroying the session after setMany rejected on an invalid name leaves no unhandled rejection', async () => {
  await withOutboundSession(async (session) => {
    const unhandled = await unhandledDuring(async () => {
      await assert.rejects(session.setMany({ good_var: '1', 'bad name': 'x' }), isInvalidName);
      const closed = nextEvent(session, 'close');
      session.destroy();
      await bounded(closed, 'the close');
    });
    assert.deepEqual(unhandled, []);
  });
});
