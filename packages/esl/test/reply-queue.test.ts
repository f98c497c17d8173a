/**
 * ReplyQueue's shared deadline timer: one timer per queue, armed for the earliest deadline,
 * must time out exactly the requests whose own deadline passed, in any order of timeouts,
 * and nothing that was answered.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslTimeoutError } from '../src/index.js';
import { ReplyQueue } from '../src/reply-queue.js';

void test('a shorter deadline queued behind a longer one times out first; the longer keeps its slot', async () => {
  let timeouts = 0;
  const q = new ReplyQueue<string>(10, () => timeouts++);
  const long = q.reserve({ timeoutMs: 60_000, label: 'api long' });
  const short = q.reserve({ timeoutMs: 15, label: 'api short' });
  await assert.rejects(short, (e: unknown) => e instanceof EslTimeoutError && e.message.includes('api short'));
  assert.equal(timeouts, 1);
  assert.equal(q.size, 2, 'the timed-out request still holds its slot');
  assert.equal(q.deliver('for long'), true);
  assert.equal(await long, 'for long');
  assert.equal(q.deliver('late, for short'), true);
  assert.equal(q.lateReplies, 1);
  assert.equal(q.size, 0);
});

void test('answered requests never time out; a later unanswered one does, once', async () => {
  let timeouts = 0;
  const q = new ReplyQueue<number>(1000, () => timeouts++);
  const answered = Array.from({ length: 100 }, () => q.reserve({ timeoutMs: 10, label: 'api x' }));
  for (let i = 0; i < 100; i++) q.deliver(i);
  assert.deepEqual(await Promise.all(answered), Array.from({ length: 100 }, (_, i) => i));
  const pending = q.reserve({ timeoutMs: 20, label: 'api pending' });
  const unlimited = q.reserve({ timeoutMs: 0, label: 'api unlimited' });
  await assert.rejects(pending, EslTimeoutError);
  assert.equal(timeouts, 1);
  q.deliver(-1); // consumed by the timed-out slot
  q.deliver(7);
  assert.equal(await unlimited, 7);
  q.rejectAll();
});

void test('rejectAll settles every waiting request and leaves no timer behind', async () => {
  const q = new ReplyQueue<string>(10);
  const a = q.reserve({ timeoutMs: 60_000, label: 'api a' });
  const b = q.reserve({ timeoutMs: 30_000, label: 'api b' });
  q.rejectAll();
  await assert.rejects(a);
  await assert.rejects(b);
  assert.equal(q.size, 0);
});

void test('awaited counts only the requests still waited for: timed-out and aborted ones keep their slot, not their count', async () => {
  const q = new ReplyQueue<string>(10);
  const abort = new AbortController();
  const timedOut = q.reserve({ timeoutMs: 1, label: 'api timed-out' });
  const aborted = q.reserve({ timeoutMs: 0, signal: abort.signal, label: 'api aborted' });
  const waiting = q.reserve({ timeoutMs: 0, label: 'api waiting' });
  assert.equal(q.awaited, 3);
  abort.abort();
  await assert.rejects(aborted);
  await assert.rejects(timedOut, EslTimeoutError);
  assert.equal(q.size, 3);
  assert.equal(q.awaited, 1);
  q.deliver('late, for timed-out');
  q.deliver('late, for aborted');
  assert.equal(q.awaited, 1);
  q.deliver('for waiting');
  assert.equal(await waiting, 'for waiting');
  assert.equal(q.awaited, 0);
  assert.equal(q.lateReplies, 2);
  const closed = q.reserve({ timeoutMs: 0, label: 'api closed' });
  q.rejectAll();
  await assert.rejects(closed);
  assert.equal(q.awaited, 0);
});
