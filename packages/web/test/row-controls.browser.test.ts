// A row's play/hangup while its command is pending, a command that timed out, and a keyboard
// user's place when the focused call ends. Every wait is on DOM state or on the page's request
// (held by the test, so "pending" lasts as long as the test needs).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { Route } from 'playwright-core';
import { dashboardPage } from './support/dashboard-page.js';

const dash = dashboardPage();

/** One new held call on an empty table (every test ends its calls); its uuid. */
async function oneCall(): Promise<string> {
  const { w, b } = dash;
  await b.page.mouse.move(0, 0);
  await b.page.locator('#channels-empty').waitFor();
  const calls = w.nodes[0]!.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  assert.equal(await calls.done, 1);
  const row = b.page.locator('#channels tbody tr[data-state="ACTIVE"]');
  await row.waitFor();
  const uuid = await row.getAttribute('data-uuid');
  assert.ok(uuid !== null);
  return uuid;
}

test('hangup is off while its command is pending, and a timeout says the command may still run', async () => {
  const { b } = dash;
  const { page } = b;
  const uuid = await oneCall();
  const row = page.locator(`#channels tbody tr[data-uuid="${uuid}"]`);
  // The page's command requests wait here until the test lets them go.
  const held: Route[] = [];
  let arrived: () => void = () => undefined;
  await page.route('**/api/command', (route) => {
    held.push(route);
    arrived();
  });
  const next = (): Promise<void> => new Promise((resolve) => (arrived = resolve));
  try {
    let sent = next();
    await row.locator('button.hangup').click();
    await sent;
    await row.locator('button.hangup[disabled]').waitFor();
    assert.equal(await row.locator('button.playback').isDisabled(), false, 'only the pending button is off');
    // What the server answers when the bus gave up waiting for the node.
    await held.shift()!.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ success: false, message: 'request timed out after 3000 ms', code: 'FSBUS_ERR_CLIENT_TIMEOUT' }) });
    const timedOut = page.locator('#result .err[data-code="FSBUS_ERR_CLIENT_TIMEOUT"]');
    await timedOut.waitFor();
    assert.match((await timedOut.textContent()) ?? '', /may still run/);
    await row.locator('button.hangup:not([disabled])').waitFor();
    sent = next();
    await row.locator('button.hangup').click();
    await sent;
    await held.shift()!.continue();
  } finally {
    await page.unroute('**/api/command');
  }
  await page.locator('#result .ok', { hasText: 'Channel hangup successful' }).waitFor();
  await page.mouse.move(0, 0);
  await row.waitFor({ state: 'detached' });
});

test('a row whose call ends while one of its buttons has keyboard focus keeps the focus, and so the hold', async () => {
  const { w, b } = dash;
  const { page } = b;
  const uuid = await oneCall();
  const row = page.locator(`#channels tbody tr[data-uuid="${uuid}"]`);
  await page.mouse.move(0, 0);
  // Keyboard focus: Tab from the filter box into the table (the newest row is the first).
  await page.locator('#channel-filter').focus();
  await page.keyboard.press('Tab');
  assert.equal(await row.locator('button.timeline-open').evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement), true);
  w.nodes[0]!.sim.core.control.hupall();
  await page.locator(`#channels tbody tr[data-uuid="${uuid}"][data-ended="true"]`).waitFor();
  assert.equal(await row.locator('button.timeline-open').evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement), true, 'focus stays on the button');
  assert.equal(await row.locator('button.hangup').isDisabled(), true);
  await page.locator('#channels-held', { hasText: /^held while a row has keyboard focus: 0 new · 1 ended$/ }).waitFor();
  // Focus leaves the table: the ended row goes.
  await page.locator('#channel-filter').focus();
  await row.waitFor({ state: 'detached' });
});

test('row buttons and the filter boxes have names that say what they act on', async () => {
  const { b } = dash;
  const { page } = b;
  const uuid = await oneCall();
  const row = page.locator(`#channels tbody tr[data-uuid="${uuid}"]`);
  assert.match((await row.locator('button.hangup').getAttribute('aria-label')) ?? '', new RegExp(`^hangup \\d+ → 7001 \\(${uuid.slice(0, 8)}…\\)$`));
  for (const id of ['channel-filter', 'filter-name', 'filter-node', 'filter-uuid']) assert.ok(((await page.locator(`#${id}`).getAttribute('aria-label')) ?? '') !== '', `#${id} has no label`);
  const park = page.locator('article.card button').first();
  assert.match((await park.getAttribute('aria-label')) ?? '', /fs-node-01/);
  await row.locator('button.hangup').click();
  await page.mouse.move(0, 0);
  await row.waitFor({ state: 'detached' });
});
