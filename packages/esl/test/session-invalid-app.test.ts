// A misspelt application on an outbound session (@fsbus/sim, as FreeSWITCH 1.10: "Invalid
// Application", the channel hung up with DESTINATION_OUT_OF_ORDER, no completion): the rejection
// names the application and the channel's hangup cause, and the session keeps that cause, so that
// the docs' `if (!session.hungUp) throw err` pattern can tell a typo from a caller who hung up.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClosedError } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

for (const flags of ['async full', 'full', 'async']) {
  void test(`${flags}: execute of an unknown application rejects naming it and DESTINATION_OUT_OF_ORDER`, async () => {
    await withDialplanSession(flags, async ({ session }) => {
      await session.myevents();
      await bounded(session.answer(), 'answer');
      assert.equal(session.hangupCause, undefined);
      const err: unknown = await bounded(session.execute(undefined, 'playbak', 'ivr/ivr-welcome.wav'), 'the misspelt execute').then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof EslClosedError, String(err));
      assert.equal(err.code, 'FSBUS_ERR_ESL_CLOSED');
      assert.equal(err.message, `channel ${session.uuid} hung up (DESTINATION_OUT_OF_ORDER) before playbak completed`);
      assert.equal(err.hangupCause, 'DESTINATION_OUT_OF_ORDER');
      assert.equal(err.application, 'playbak');
      assert.equal(session.hungUp, true);
      assert.equal(session.hangupCause, 'DESTINATION_OUT_OF_ORDER');
      await session.close();
    });
  });
}

void test('async full + linger: an execute refused after the hangup names the cause', async () => {
  await withDialplanSession('async full', async ({ session }) => {
    await session.linger();
    await session.myevents();
    await assert.rejects(bounded(session.execute(undefined, 'playbak'), 'the misspelt execute'), /hung up \(DESTINATION_OUT_OF_ORDER\) before playbak completed/);
    await assert.rejects(bounded(session.playback('silence_stream://100'), 'playback after the hangup'), (err: unknown) => {
      assert.ok(err instanceof EslClosedError);
      assert.match(err.message, /^execute playback: channel \S+ hung up \(DESTINATION_OUT_OF_ORDER\)$/);
      assert.equal(err.hangupCause, 'DESTINATION_OUT_OF_ORDER');
      assert.equal(err.unsent, true);
      return true;
    });
    await session.close();
  });
});
