// An outbound session whose channel hung up, against @fsbus/sim (FreeSWITCH 1.10.12's static and
// async socket modes): an execute FreeSWITCH will never complete rejects (EslClosedError, "hung
// up") instead of waiting for ever; applications FreeSWITCH still runs on a hung-up channel
// (SAF_ZOMBIE_EXEC: set, export …) still resolve with their completion.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClosedError, EslInvalidArgumentError, type DisconnectNoticeFrame, type EslSession } from '../src/index.js';
import { bounded, nextEvent } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

const hungUp = (err: unknown): boolean => err instanceof EslClosedError && /hung up/.test(err.message);

/** Hangs the session's channel up and waits for the linger notice. */
async function hangUpLingering(session: EslSession): Promise<void> {
  const notice = nextEvent<[DisconnectNoticeFrame]>(session, 'disconnect-notice');
  await session.hangup();
  const [frame] = await bounded(notice, 'the linger notice');
  assert.equal(frame.linger, true);
}

void test('static + linger: after the hangup an execute rejects at once ("hung up"); a zombie_exec application (set) still runs and resolves', async () => {
  await withDialplanSession('full', async ({ session }) => {
    assert.equal(session.socketMode, 'static');
    await session.linger();
    await bounded(session.answer(), 'answer');
    assert.equal(session.hungUp, false);
    await hangUpLingering(session);
    assert.equal(session.hungUp, true);
    await assert.rejects(bounded(session.playback('silence_stream://100'), 'playback after the hangup'), hungUp);
    await assert.rejects(bounded(session.bridge('loopback/7001'), 'bridge after the hangup'), hungUp);
    const set = await bounded(session.set('after_hangup', 'yes'), 'set after the hangup');
    assert.equal(set.getHeader('Application'), 'set');
    assert.equal(await bounded(session.getVariable('after_hangup'), 'getvar'), 'yes');
    await session.close();
  });
});

void test('static + linger: an unknown application (FreeSWITCH hangs up, no completion) rejects at the linger notice', async () => {
  await withDialplanSession('full', async ({ session }) => {
    await session.linger();
    await assert.rejects(bounded(session.execute(undefined, 'fsbus_no_such_app'), 'the unknown application'), hungUp);
    assert.equal(session.hungUp, true);
    assert.equal(session.closed, false, 'the session lingers');
    await session.close();
  });
});

void test('static: a playback cut by a hangup from elsewhere still resolves with its completion (it ran)', async () => {
  await withDialplanSession('full', async ({ session, client }) => {
    await session.linger();
    await bounded(session.answer(), 'answer');
    // Seen by the inbound client: a static session gets no event while its application runs.
    await client.events('plain', ['PLAYBACK_START']);
    const started = nextEvent(client, 'PLAYBACK_START');
    const play = session.playback('silence_stream://-1');
    await bounded(started, 'the playback');
    await client.api(`uuid_kill ${session.uuid}`);
    const done = await bounded(play, 'the cut playback');
    assert.equal(done.getHeader('Application'), 'playback');
    await session.close();
  });
});

for (const seen of ['CHANNEL_HANGUP_COMPLETE', 'the linger notice only'] as const) {
  void test(`async full + linger: after uuid_kill (${seen}) set and bridge reject at once`, async () => {
    await withDialplanSession('async full', async ({ session, client }) => {
      assert.equal(session.socketMode, 'async');
      await session.linger();
      const notice = nextEvent(session, 'disconnect-notice');
      const complete = nextEvent(session, 'CHANNEL_HANGUP_COMPLETE');
      if (seen === 'CHANNEL_HANGUP_COMPLETE') await session.myevents();
      await client.api(`uuid_kill ${session.uuid}`);
      if (seen === 'CHANNEL_HANGUP_COMPLETE') await bounded(complete, 'CHANNEL_HANGUP_COMPLETE');
      await bounded(notice, 'the linger notice');
      await assert.rejects(bounded(session.set('too_late', '1'), 'set after the hangup'), hungUp);
      await assert.rejects(bounded(session.bridge('loopback/7001'), 'bridge after the hangup'), hungUp);
      await session.close();
    });
  });
}

void test('static: executeAsync on the own channel rejects EslInvalidArgumentError (queued, it would run only after the session)', async () => {
  await withDialplanSession('full', async ({ session }) => {
    await assert.rejects(bounded(session.executeAsync(undefined, 'set', 'queued=1'), 'executeAsync'), EslInvalidArgumentError);
    await assert.rejects(bounded(session.executeAsync(session.uuid, 'set', 'queued=1'), 'executeAsync by uuid'), EslInvalidArgumentError);
    // Nothing was sent: the session is in step.
    assert.equal(await bounded(session.getVariable('queued'), 'getvar'), '');
    await session.close();
  });
});
