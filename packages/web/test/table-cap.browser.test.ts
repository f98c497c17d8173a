// A node with more live calls than the channel table shows: the newest MAX_TABLE_ROWS are rows,
// the page says how many match, and the filter still finds an older call. Every wait is on DOM state.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dashboardPage } from './support/dashboard-page.js';

/** MAX_TABLE_ROWS of app/views/channels.ts (typed for the DOM: not imported into a node test). */
const MAX_TABLE_ROWS = 200;

const dash = dashboardPage();

test(`over ${MAX_TABLE_ROWS} calls: the newest ${MAX_TABLE_ROWS} are rows, the rest counted, an older one found by the filter`, async () => {
  const { w, b } = dash;
  const { page } = b;
  await page.mouse.move(0, 0); // a pointer on the table would hold new rows back
  const control = w.nodes[0]!.sim.core.control;
  // The first call alone, so its uuid is known before it is pushed out of the table.
  const first = control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  const firstRow = page.locator('#channels tbody tr').first();
  await firstRow.waitFor();
  first.stop();
  const oldest = await firstRow.getAttribute('data-uuid');
  assert.ok(oldest !== null);
  const more = page.locator('#channels-more');
  // A bounded run (exactly 250 calls, more than a table holds): unbounded, the simulator had made
  // about 1000 by the time the page said so, and the page then took seconds to settle them all.
  const gen = control.generateCalls({ ratePerSecond: 200, durationMs: 1250, holdMs: 600_000, answerRatio: 1 });
  await more.filter({ hasText: new RegExp(`^showing the newest ${MAX_TABLE_ROWS} of \\d+: filter to find the others$`) }).waitFor();
  gen.stop();
  // Settled: the page has every call made (one channel each, the first one included).
  const total = (await gen.done) + 1;
  await page.locator('#total-channels', { hasText: new RegExp(`^${total}$`) }).waitFor();
  await page.locator(`#channels-more[data-matching="${total}"]`).waitFor({ state: 'attached' });
  assert.equal(await page.locator('#channels tbody tr').count(), MAX_TABLE_ROWS);
  assert.equal(await more.getAttribute('data-shown'), String(MAX_TABLE_ROWS));
  assert.equal(await page.locator(`#channels tbody tr[data-uuid="${oldest}"]`).count(), 0, 'the oldest call is not a row');
  // Only rows on screen tick: the last row, scrolled into view, goes on counting its seconds.
  const lastDuration = page.locator('#channels tbody tr').last().locator('td.duration');
  await lastDuration.scrollIntoViewIfNeeded();
  const shownAt = await lastDuration.textContent();
  await page.locator('#channels tbody tr').last().locator('td.duration', { hasNotText: shownAt ?? '' }).waitFor();
  await page.mouse.move(0, 0);
  // The filter narrows what is matched first, then caps: the oldest call comes back.
  await page.locator('#channel-filter').fill(oldest);
  await page.locator(`#channels tbody tr[data-uuid="${oldest}"]`).waitFor();
  await page.locator(`#channels-more[data-matching="1"]`).waitFor({ state: 'attached' });
  assert.equal(await more.textContent(), '');
  await page.locator('#channel-filter').fill('');
  await page.locator(`#channels tbody tr[data-uuid="${oldest}"]`).waitFor({ state: 'detached' });
  assert.equal(await page.locator('#channels tbody tr').count(), MAX_TABLE_ROWS);
});
