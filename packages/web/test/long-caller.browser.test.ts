// A caller number as long as the agent takes (255 characters) must not push the table past its
// panel nor any row's controls off screen. Every wait is on DOM state.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dashboardPage } from './support/dashboard-page.js';

const dash = dashboardPage();

test('a 255-character caller number: the table stays within its panel, the row shows it whole in a title, its buttons on screen', async () => {
  const { page } = dash.b;
  const caller = '9'.repeat(255);
  const reply = await page.evaluate(async (cid) => {
    const res = await fetch('/api/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fsbus-dashboard': '1' },
      body: JSON.stringify({ command: 'originate', endpoint: 'user/1000', extension: '9000', caller_id_number: cid, node_id: 'fs-node-01' }),
    });
    return (await res.json()) as { success: boolean; message: string; data?: { uuid?: string } };
  }, caller);
  assert.ok(reply.success, reply.message);
  const row = page.locator(`#channels tbody tr[data-uuid="${reply.data?.uuid ?? ''}"]`);
  await row.locator('td.route', { hasText: caller }).waitFor();
  const table = await page.locator('#channels').boundingBox();
  const panel = await page.locator('#channels-view').boundingBox();
  assert.ok(table !== null && panel !== null);
  assert.ok(table.width <= panel.width, `table ${table.width}px wide in a ${panel.width}px panel`);
  const viewport = page.viewportSize();
  assert.ok(viewport !== null);
  for (const name of ['timeline-open', 'playback', 'hangup']) {
    const box = await row.locator(`button.${name}`).boundingBox();
    assert.ok(box !== null && box.x >= 0 && box.x + box.width <= viewport.width, `${name} at ${JSON.stringify(box)} in a ${viewport.width}px viewport`);
  }
  assert.equal(await row.locator('td.route').getAttribute('title'), `${caller} → 9000`);
  await row.locator('button.hangup').click();
  await page.mouse.move(0, 0);
  await row.waitFor({ state: 'detached' });
});
