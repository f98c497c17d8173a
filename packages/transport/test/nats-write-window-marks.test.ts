// The NATS write window keeps what it may have to hand back after a lost connection until a PONG
// confirms it: at 40,000 events/s that is thousands of events. With a lossMark (what the publisher
// wants back instead of the bytes: the agent's event timestamp) it keeps the subject, the callback
// and the mark, not the message nor its payload; without one the bytes come back as before.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { OutboxItem } from '../src/outbox.js';
import { WriteWindow } from '../src/nats/write-window.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const onDroppedAfterSend = (): void => undefined;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A window whose PINGs are answered only when the test says so. */
function windowWithPongs(): { window: WriteWindow; pong: () => void } {
  const waiting: Array<() => void> = [];
  const window = new WriteWindow(1024 * 1024, () => new Promise<void>((resolve) => waiting.push(resolve)), () => undefined);
  return { window, pong: () => waiting.shift()?.() };
}

/** Writes `count` messages with a lossMark; returns weak references to them and their payloads (none on this frame). */
function writeMarked(window: WriteWindow, count: number): Array<WeakRef<object>> {
  const refs: Array<WeakRef<object>> = [];
  for (let i = 0; i < count; i++) {
    const item: OutboxItem = { subject: 'ev.x', data: bytes(`payload ${i}`), onDroppedAfterSend, lossMark: i + 1 };
    refs.push(new WeakRef(item), new WeakRef(item.data));
    window.wrote(60, item);
  }
  return refs;
}

void test('nats write window: with a lossMark the handed-back data is empty and the mark comes back; without one the bytes do, in order', () => {
  const { window } = windowWithPongs();
  window.wrote(50, { subject: 'ev.a', data: bytes('payload a'), onDroppedAfterSend, lossMark: 1_733_000_000_000_001 });
  window.wrote(50, { subject: 'ev.b', data: bytes('payload b'), onDroppedAfterSend });
  window.wrote(50, { subject: 'ev.c', data: bytes('payload c'), onDroppedAfterSend, lossMark: 7 });
  window.wrote(50, { subject: 'ev.untracked', data: bytes('u') });
  const lost = window.reset().map((item) => ({ subject: item.subject, data: new TextDecoder().decode(item.data), mark: item.lossMark, told: item.onDroppedAfterSend === onDroppedAfterSend }));
  assert.deepEqual(lost, [
    { subject: 'ev.a', data: '', mark: 1_733_000_000_000_001, told: true },
    { subject: 'ev.b', data: 'payload b', mark: undefined, told: true },
    { subject: 'ev.c', data: '', mark: 7, told: true },
  ]);
  assert.deepEqual(window.reset(), [], 'none twice');
});

void test('nats write window: what a PONG confirmed is not handed back, marked or not', async () => {
  const { window, pong } = windowWithPongs();
  window.wrote(50, { subject: 'ev.1', data: bytes('1'), onDroppedAfterSend, lossMark: 1 });
  window.wrote(50, { subject: 'ev.2', data: bytes('2'), onDroppedAfterSend });
  const confirmed = window.confirm();
  window.wrote(50, { subject: 'ev.3', data: bytes('3'), onDroppedAfterSend, lossMark: 3 });
  pong();
  await confirmed;
  assert.deepEqual(window.reset().map((item) => [item.subject, item.lossMark]), [['ev.3', 3]]);
});

void test('nats write window: an unconfirmed message with a lossMark keeps neither its message object nor its payload alive', async () => {
  const { window } = windowWithPongs();
  const refs = writeMarked(window, 100);
  // A WeakRef keeps its target until the job that made it ends.
  await new Promise(setImmediate);
  gc();
  assert.deepEqual(refs.filter((ref) => ref.deref() !== undefined).length, 0, 'messages or payloads still held by the window');
  assert.deepEqual(window.reset().map((item) => item.lossMark), Array.from({ length: 100 }, (_, i) => i + 1));
});
