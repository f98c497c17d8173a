// The originate form while calls ring: it stays usable, each originate is its own item
// (`ringing…` and what it dialled) until it answers or fails, and the item then tells the outcome
// (the uuid, or FreeSWITCH's cause). Far ends scripted in the simulator; every wait is on DOM state.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dashboardPage } from './support/dashboard-page.js';

const dash = dashboardPage({ maxPendingOriginates: 2 });

async function originate(endpoint: string): Promise<void> {
  const { page } = dash.b;
  const control = dash.w.nodes[0]!.sim.core.control;
  control.setEndpointBehavior('user/2000', { answer: 'no-answer' });
  control.setEndpointBehavior('user/2001', { answer: 'busy' });
  await page.locator('#originate-form input[name="endpoint"]').fill(endpoint);
  await page.locator('#originate-form input[name="extension"]').fill('9000');
  await page.locator('#originate-node').selectOption('fs-node-01');
  await page.locator('#originate-button').click();
}

test('two originates ring at once, each its own item; the cap, a cancel and a busy far end are told on the page', async () => {
  const { b } = dash;
  const { page } = b;
  const items = page.locator('#originates li');
  const ringing = page.locator('#originates li[data-state="ringing"]');

  await originate('user/2000');
  assert.equal(await page.locator('#originate-button').isDisabled(), false, 'the form stays usable while the call rings');
  await ringing.first().waitFor();
  const first = items.first();
  const firstUuid = await first.getAttribute('data-uuid');
  assert.ok(firstUuid !== null && firstUuid.length > 10);
  assert.match((await first.textContent()) ?? '', /ringing….*user\/2000 → 9000/);
  // The far end rings: its channel row is there too.
  await page.locator(`#channels tbody tr[data-uuid="${firstUuid}"]`).waitFor();

  await originate('user/2000');
  await ringing.nth(1).waitFor();
  assert.equal(await ringing.count(), 2);
  assert.equal(await items.nth(1).getAttribute('data-uuid'), firstUuid, 'the newest is on top; the first stays as it was');

  // Over the dashboard's cap: refused, saying why; nothing new rings.
  await originate('user/2000');
  await page.locator('#result .err[data-code="FSBUS_ERR_WEB_BUSY"]', { hasText: /already ringing/ }).waitFor();
  assert.equal(await ringing.count(), 2);
  await b.shot('originates-ringing', page.locator('#controls-view'));

  // Cancel the first: its item tells FreeSWITCH's cause, and the control's result says so too.
  const firstItem = page.locator(`#originates li[data-uuid="${firstUuid}"]`);
  await firstItem.locator('button.cancel').click();
  await page.locator(`#originates li[data-uuid="${firstUuid}"][data-state="failed"]`, { hasText: 'ORIGINATOR_CANCEL' }).waitFor();
  await page.locator('#result .err[data-code="FSBUS_ERR_BUS_ORIGINATE_FAILED"]', { hasText: 'user/2000 → 9000' }).first().waitFor();

  await originate('user/2001');
  await page.locator('#originates li[data-state="failed"]', { hasText: /USER_BUSY.*user\/2001 → 9000|user\/2001 → 9000.*USER_BUSY/ }).waitFor();
  await b.shot('originates', page.locator('#controls-view'));

  // The last ringing one: cancelled through the page too.
  const last = ringing.first();
  const lastUuid = await last.getAttribute('data-uuid');
  await last.locator('button.cancel').click();
  await page.locator(`#originates li[data-uuid="${lastUuid}"][data-state="failed"]`).waitFor();
  assert.equal(await ringing.count(), 0);
});

test('a page opened while an originate rings shows it, from the snapshot', async () => {
  const { b } = dash;
  const { page } = b;
  await originate('user/2000');
  const ringing = page.locator('#originates li[data-state="ringing"]');
  await ringing.waitFor();
  const uuid = await ringing.getAttribute('data-uuid');
  await page.reload();
  const again = page.locator(`#originates li[data-uuid="${uuid}"][data-state="ringing"]`);
  await again.waitFor();
  await again.locator('button.cancel').click();
  await page.locator(`#originates li[data-uuid="${uuid}"][data-state="failed"]`).waitFor();
});
