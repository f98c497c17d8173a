// An outbound session learns its channel hung up from FreeSWITCH's goodbye too, against @fsbus/sim:
// without `linger`, mod_event_socket (1.10.12, listener_run) ends the session when the channel
// goes down and sends its goodbye — `text/disconnect-notice`, `Content-Disposition: disconnect`,
// "Disconnected, goodbye." — the same notice that follows an `exit` (after its `+OK bye`). So a
// session subscribed to nothing (no myevents, no linger) still has `hungUp` true at 'end' after a
// hangup, and docs/esl.md's `if (!session.hungUp) throw err` does not rethrow a normal hangup;
// after `exit` on a live channel it stays false.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { CoreEvent } from '@fsbus/sim';
import { EslClosedError, type DisconnectNoticeFrame, type EslServer, type EslSession } from '../src/index.js';
import { onSession } from './support/outbound-example.js';
import { bounded } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';
import { coreEvent } from './support/sim-inbound.js';

const runs = (app: string, uuid: string) => (e: CoreEvent): boolean =>
  e.name === 'CHANNEL_EXECUTE' && e.uuid === uuid && e.headers.some(([n, v]) => n === 'Application' && v === app);

/** What 'end' saw: hungUp at that moment, and the notice that ended the session. */
function watchEnd(session: EslSession): Promise<{ hungUp: boolean; notice: DisconnectNoticeFrame | undefined }> {
  let notice: DisconnectNoticeFrame | undefined;
  session.on('disconnect-notice', (frame) => (notice ??= frame));
  return new Promise((resolve) => session.once('end', () => resolve({ hungUp: session.hungUp, notice })));
}

void test('static full, no myevents/linger: a uuid_kill during playback gives \'end\' with hungUp true; the next execute rejects "hung up"', async () => {
  await withDialplanSession('full', async ({ session, client, sim }) => {
    assert.equal(session.socketMode, 'static');
    assert.equal(session.control, 'full');
    const ended = watchEnd(session);
    await bounded(session.answer(), 'answer');
    const playing = coreEvent(sim, runs('playback', session.uuid));
    const playback = session.playback('long.wav');
    await bounded(playing, 'the playback');
    await client.api(`uuid_kill ${session.uuid}`);
    await bounded(playback, 'the playback cut short');
    const { hungUp, notice } = await bounded(ended, "the session's end");
    assert.equal(notice?.linger, false);
    assert.equal(notice?.headers.get('Content-Disposition'), 'disconnect');
    assert.equal(hungUp, true);
    let caught: unknown;
    try {
      await bounded(session.playback('after.wav'), 'a playback after the hangup');
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof EslClosedError, String(caught));
    assert.equal(session.hungUp, true, "so the docs' `if (!session.hungUp) throw err` lets it pass");
    await session.close();
  });
});

void test("async full, subscribed to nothing: a uuid_kill gives 'end' with hungUp true", async () => {
  await withDialplanSession('async full', async ({ session, client }) => {
    const ended = watchEnd(session);
    await client.api(`uuid_kill ${session.uuid}`);
    const { hungUp, notice } = await bounded(ended, "the session's end");
    assert.equal(notice?.headers.get('Content-Disposition'), 'disconnect');
    assert.equal(hungUp, true);
  });
});

void test('exit on a live channel: the same goodbye, after `+OK bye`, leaves hungUp false', async () => {
  for (const flags of ['async full', 'full']) {
    await withDialplanSession(flags, async ({ session }) => {
      const ended = watchEnd(session);
      await bounded(session.answer(), 'answer');
      await session.close();
      const { hungUp, notice } = await bounded(ended, "the session's end");
      assert.equal(notice?.headers.get('Content-Disposition'), 'disconnect', flags);
      assert.equal(hungUp, false, flags);
    });
  }
});

void test("exit sent raw (sendRecv) counts as the session's own exit too", async () => {
  await withDialplanSession('async full', async ({ session }) => {
    const ended = watchEnd(session);
    assert.equal((await session.sendRecv('exit')).kind, 'command-reply');
    const { hungUp } = await bounded(ended, "the session's end");
    assert.equal(hungUp, false);
  });
});

void test("exit after the user reset the session's stats (metric deltas): still the session's own exit", async () => {
  await withDialplanSession('async full', async ({ session }) => {
    const ended = watchEnd(session);
    await bounded(session.answer(), 'answer');
    // As a user taking per-interval deltas of one counter would.
    session.stats.replies = 0;
    await session.close();
    const { hungUp } = await bounded(ended, "the session's end");
    assert.equal(hungUp, false);
  });
});

/** docs/esl.md's outbound handler on a socket of `flags`, the caller hung up while asked for digits. */
async function runDocsExample(flags: string): Promise<void> {
  const errors: Error[] = [];
  /** Settles with what the handler threw, or undefined. */
  let served: Promise<unknown> | undefined;
  const prepare = (server: EslServer): void => {
    server.on('error', (err) => errors.push(err));
    served = new Promise((resolve) => server.on('session', (s) => onSession(s).then(() => resolve(undefined), (err: unknown) => {
      resolve(err);
      throw err;
    })));
  };
  await withDialplanSession(flags, async ({ session, client, sim }) => {
    const asking = coreEvent(sim, runs('play_and_get_digits', session.uuid));
    // A handler that fails before it asks (its linger refused) ends first: that is the failure shown.
    const failedEarly = served!.then((err) => assert.fail(`the handler ended before play_and_get_digits: ${String(err)}`));
    await bounded(Promise.race([asking, failedEarly]), 'play_and_get_digits');
    await client.api(`uuid_kill ${session.uuid}`);
    assert.equal(await bounded(served!, 'the handler'), undefined, flags);
    assert.equal(session.closed, true, flags);
    assert.equal(session.hungUp, true, flags);
    assert.deepEqual(errors, [], flags);
  }, {}, prepare);
}

for (const flags of ['async', 'full', '']) {
  void test(`docs/esl.md's outbound example on a \`socket … ${flags}\` line: a hangup is no error`, async () => {
    await runDocsExample(flags);
  });
}
