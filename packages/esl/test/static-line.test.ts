// A static outbound session answers its own execute only once the application has run, and reads
// nothing meanwhile: the commands queued behind it (getvar, api, close()'s exit) must not time out
// on requestTimeoutMs while FreeSWITCH is busy — their timeouts start once that reply is in.
// Waits here are ordered by timers (a shorter timer armed earlier fires first), not by durations.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslTimeoutError } from '../src/index.js';
import { ReplyQueue } from '../src/reply-queue.js';
import { bounded } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

const settledFlag = (p: Promise<unknown>): { settled: boolean } => {
  const flag = { settled: false };
  p.then(() => (flag.settled = true), () => (flag.settled = true));
  return flag;
};

void test('ReplyQueue: the timeouts of requests behind a line-holding one start when it is answered', async () => {
  const q = new ReplyQueue<string>(10);
  const inline = q.reserve({ timeoutMs: 0, label: 'execute playback', holdsLine: true });
  const behind = q.reserve({ timeoutMs: 1, label: 'getvar' });
  const behindFlag = settledFlag(behind);
  // Another queue's 20 ms timeout fires after any 1 ms deadline armed before it.
  await assert.rejects(new ReplyQueue<string>(1).reserve({ timeoutMs: 20, label: 'barrier' }), EslTimeoutError);
  assert.equal(behindFlag.settled, false, 'no timeout while the line is held');
  assert.equal(q.deliver('+OK'), true);
  assert.equal(await inline, '+OK');
  // Bounded again from now on.
  await assert.rejects(behind, EslTimeoutError);
});

void test('ReplyQueue: two holders in a row release the requests behind each in turn', async () => {
  const q = new ReplyQueue<string>(10);
  void q.reserve({ timeoutMs: 0, label: 'first', holdsLine: true });
  const second = q.reserve({ timeoutMs: 0, label: 'second', holdsLine: true });
  const last = q.reserve({ timeoutMs: 1, label: 'last' });
  const lastFlag = settledFlag(last);
  q.deliver('+OK');
  await assert.rejects(new ReplyQueue<string>(1).reserve({ timeoutMs: 20, label: 'barrier' }), EslTimeoutError);
  assert.equal(lastFlag.settled, false, 'still behind the second');
  q.deliver('+OK');
  assert.equal(await second, '+OK');
  await assert.rejects(last, EslTimeoutError);
});

void test('static session: a getvar behind a long inline playback waits for it, not for requestTimeoutMs', async () => {
  await withDialplanSession('full', async ({ session }) => {
    await bounded(session.answer(), 'answer');
    // The playback (400 ms) outlasts the session's requestTimeoutMs (200 ms): the getvar sent behind
    // it is answered once the playback's reply is in, instead of timing out meanwhile.
    const play = session.playback('silence_stream://400');
    const getvar = session.getVariable('uuid');
    assert.equal(await bounded(getvar, 'getvar'), session.uuid);
    await bounded(play, 'the playback');
  }, { requestTimeoutMs: 200 });
});

void test('static session: a raw sendmsg execute on its own channel is not cut at requestTimeoutMs (its reply comes after the application)', async () => {
  await withDialplanSession('full', async ({ session }) => {
    await bounded(session.answer(), 'answer');
    // A 400 ms playback against a 200 ms requestTimeoutMs: the reply comes when it has run.
    const play = session.sendmsg(undefined, { callCommand: 'execute', headers: { 'execute-app-name': 'playback', 'execute-app-arg': 'silence_stream://400' } });
    assert.equal((await bounded(play, 'the sendmsg reply')).replyText, '+OK');
  }, { requestTimeoutMs: 200 });
});
