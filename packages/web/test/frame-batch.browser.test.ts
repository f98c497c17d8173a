// The page redraws at most once per animation frame, so several server updates can land in one
// frame. A channel change followed, within the same frame, by an update that changes no channel
// (rates, events, node status) must still redraw the table. Frames are held by the test, not timed.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dashboardPage } from './support/dashboard-page.js';

/**
 * Runs in the page before its own script: frames can be held (queued, not run) and released, and
 * every `update` the stream delivers is noted — whether it changed channels, and which apps.
 */
const HOOKS = `(() => {
  const raf = window.requestAnimationFrame.bind(window);
  const frames = { hold: false, queue: [] };
  window.__frames = frames;
  window.requestAnimationFrame = (cb) => {
    if (!frames.hold) return raf(cb);
    frames.queue.push(cb);
    return 1e9 + frames.queue.length;
  };
  window.__releaseFrames = () => {
    frames.hold = false;
    for (const cb of frames.queue.splice(0)) raf(cb);
  };
  window.__updates = [];
  const Source = window.EventSource;
  window.EventSource = class extends Source {
    constructor(...args) {
      super(...args);
      this.addEventListener('update', (ev) => {
        const u = JSON.parse(ev.data);
        window.__updates.push({
          channels: u.upserts !== undefined || u.removes !== undefined,
          apps: (u.upserts ?? []).map((c) => c.application),
        });
      });
    }
  };
})();`;

const dash = dashboardPage({}, HOOKS);

test('a channel update followed in the same frame by one without channels still redraws the table', async () => {
  const { w, b } = dash;
  const { page } = b;
  await page.mouse.move(0, 0); // a pointer on the table would hold new rows back
  await page.evaluate('window.__frames.hold = true');
  const call = w.nodes[0]!.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  assert.equal(await call.done, 1);
  // The call's last change (parked) has reached the page, and after it an update with no channel
  // change (the rates come every second): both are waiting for the same, held, frame.
  await page.waitForFunction(
    () => {
      const u = (globalThis as unknown as { __updates: Array<{ channels: boolean; apps: string[] }> }).__updates;
      const parked = u.findLastIndex((x) => x.apps.some((a) => a.startsWith('park')));
      return parked >= 0 && u.slice(parked + 1).some((x) => !x.channels);
    },
    undefined,
    { polling: 50 },
  );
  assert.equal(await page.locator('#channels tbody tr').count(), 0, 'frames were held: nothing drawn yet');
  await page.evaluate('window.__releaseFrames()');
  // The header is drawn in that frame whatever the updates were; the table must be drawn with it.
  await page.locator('#total-channels', { hasText: /^1$/ }).waitFor();
  assert.equal(await page.locator('#channels tbody tr').count(), 1);
  assert.equal(await page.locator('#channels-more').getAttribute('data-matching'), '1');
});
