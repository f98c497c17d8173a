// A dashboard whose channel table is full drops its oldest live calls: the page says so, with
// the count, while the table is full, and not once it has room again. Every wait is on DOM state.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dashboardPage } from './support/dashboard-page.js';
import { dashboardUntil } from './support/wiring.js';

const MAX = 3;

// Status polls that wait long: a node seen offline for a moment (a loaded machine) would have
// its channels read again, and after the hangup that would rightly refill the table.
const dash = dashboardPage({ maxChannels: MAX, gatherTimeoutMs: 3000 });

test('a full table says it drops the oldest live calls, and how many so far', async () => {
  const { w, b } = dash;
  const { page } = b;
  const note = page.locator('#channels-full');
  assert.equal(await note.textContent(), '');
  // The node's channels read once before any call: a first read landing after the hangup below
  // (its poll waits out gatherTimeoutMs) would rightly bring a dropped call back and refill the table.
  await dashboardUntil(w.web.dashboard, () => !w.web.dashboard.snapshot().first_poll_pending, 'the first poll and its channel read');
  const control = w.nodes[0]!.sim.core.control;
  const calls = control.generateCalls({ ratePerSecond: 100, durationMs: 50, holdMs: 600_000, answerRatio: 1 });
  assert.equal(await calls.done, 5);
  await note.filter({ hasText: /^the table is full \(3 channels\): the oldest live calls are dropped from it, 2 so far$/ }).waitFor();
  assert.equal(await page.locator('#channels tbody tr').count(), MAX);
  // A page opened now learns the count from its snapshot.
  const fresh = await b.context.newPage();
  await fresh.goto(w.web.url);
  await fresh.locator('#channels-full[data-evicted="2"]', { hasText: /2 so far$/ }).waitFor();
  await fresh.close();
  // One call is hung up from its row: the table has room, the note goes.
  const row = page.locator('#channels tbody tr').first();
  const uuid = await row.getAttribute('data-uuid');
  assert.ok(uuid !== null);
  await row.locator('button.hangup').click();
  await dashboardUntil(w.web.dashboard, () => w.web.dashboard.channel(uuid) === undefined, 'the hangup');
  await page.mouse.move(0, 0); // the pointer off the table: the ended row goes
  await page.locator('#channels-full[data-evicted="2"]', { hasText: /^$/ }).waitFor({ state: 'attached' });
  assert.equal(await page.locator('#channels tbody tr').count(), MAX - 1);
});
