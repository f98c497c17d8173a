// The dashboard while things change under the user: rows that do not move under the pointer,
// a park-audio pick that survives re-renders, a paused event list that holds, details with the
// server down, and cards that go when their agents are gone. Every wait is on DOM state.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { openBrowser, type Browser } from './support/browser.js';
import { startWiring, type Wiring } from './support/wiring.js';

describe('dashboard in chromium, while calls come and go', () => {
  let w: Wiring;
  let b: Browser;

  before(async () => {
    w = await startWiring(['fs-node-01', 'fs-node-02']);
    b = await openBrowser(w.web.url);
    await b.page.locator('#server-state[data-state="live"]').waitFor();
  });

  after(async () => {
    await b?.close();
    await w?.stop();
  });

  /** One long call on a node, seen once the page counts `total` channels. */
  async function oneCall(node: number, total: number): Promise<void> {
    const gen = w.nodes[node]!.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
    await b.page.locator('#total-channels', { hasText: new RegExp(`^${total}$`) }).waitFor();
    gen.stop();
  }

  /** The uuid of the row under a point of the page. */
  const rowAt = async (x: number, y: number): Promise<unknown> => b.page.evaluate(`document.elementFromPoint(${x}, ${y})?.closest('tr')?.dataset.uuid`);

  test('the row under the pointer stays the same call while calls start and end; its buttons act on it', async () => {
    const { page } = b;
    await page.mouse.move(0, 0);
    await oneCall(0, 1);
    await oneCall(0, 2);
    await oneCall(0, 3);
    const rows = page.locator('#channels tbody tr');
    await rows.nth(2).waitFor();
    // Aim at the second row's timeline button.
    const uuid = (await rows.nth(1).getAttribute('data-uuid')) ?? '';
    const target = page.locator(`#channels tbody tr[data-uuid="${uuid}"]`);
    const above = (await rows.nth(0).getAttribute('data-uuid')) ?? '';
    const button = target.locator('button.timeline-open');
    const box = await button.boundingBox();
    assert.ok(box !== null);
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await page.mouse.move(x - 2, y);
    await page.mouse.move(x, y);
    assert.equal(await rowAt(x, y), uuid);

    // A new call (it sorts on top) while the pointer is there: held, the rows stay.
    // (The header's count and the table are drawn in the same frame.)
    await oneCall(1, 4);
    assert.equal(await rowAt(x, y), uuid, 'a new call moved the row under the pointer');
    await page.locator('#channels-held[data-new="1"]').waitFor();
    // The call above ends: shown as ended, not removed.
    assert.equal(await w.nodes[0]!.sim.core.api('uuid_kill', above), '+OK\n');
    await page.locator('#total-channels', { hasText: /^3$/ }).waitFor();
    const ended = page.locator(`#channels tbody tr[data-uuid="${above}"][data-ended="true"]`);
    await ended.waitFor();
    assert.equal(await ended.locator('button.hangup').isDisabled(), true);
    assert.equal(await rowAt(x, y), uuid, 'an ended call moved the row under the pointer');

    // A click acts on the row aimed at.
    await page.mouse.click(x, y);
    await page.locator(`#timeline-view[data-uuid="${uuid}"]`).waitFor();
    // So does its hangup button, on the same row.
    const hang = await target.locator('button.hangup').boundingBox();
    assert.ok(hang !== null);
    await page.mouse.move(hang.x + hang.width / 2, hang.y + hang.height / 2);
    await page.mouse.click(hang.x + hang.width / 2, hang.y + hang.height / 2);
    await page.locator('#result .ok', { hasText: `hangup ${uuid.slice(0, 8)}` }).waitFor();
    await page.locator(`#channels tbody tr[data-uuid="${uuid}"][data-ended="true"]`).waitFor();
    assert.equal(w.nodes[0]!.sim.core.hasChannel(uuid), false);
    assert.equal(w.nodes[0]!.sim.core.hasChannel(above), false);

    // The pointer leaves: what was held is applied.
    await page.mouse.move(0, 0);
    await page.locator(`#channels tbody tr[data-uuid="${uuid}"]`).waitFor({ state: 'detached' });
    await page.locator(`#channels tbody tr[data-uuid="${above}"]`).waitFor({ state: 'detached' });
    await page.locator('#channels tbody tr[data-node="fs-node-02"]').waitFor();
    assert.equal(await page.locator('#channels-held').textContent(), '');
    // The cards count each node's calls.
    await page.locator('article.card[data-node="fs-node-01"] dd.node-channels', { hasText: /^1$/ }).waitFor();
    await page.locator('article.card[data-node="fs-node-02"] dd.node-channels', { hasText: /^1$/ }).waitFor();
    for (const n of w.nodes) n.sim.core.control.hupall();
    await page.locator('#channels-empty').waitFor();
  });

  test('a park-audio pick survives re-renders until it is sent', async () => {
    const { page } = b;
    const card = page.locator('article.card[data-node="fs-node-01"]');
    const select = card.locator('select.park-audio');
    await select.waitFor();
    const serverValue = await select.inputValue();
    const pick = serverValue === 'ringback' ? 'music' : 'ringback';
    await select.selectOption(pick);
    await page.locator('#channel-filter').focus();
    // The card is redrawn every second: wait for two uptime ticks.
    const uptime = card.locator('dd.uptime');
    for (let i = 0; i < 2; i++) {
      const shown = (await uptime.textContent()) ?? '';
      await card.locator('dd.uptime').filter({ hasNotText: new RegExp(`^${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();
    }
    assert.equal(await select.inputValue(), pick, 'the pick was reset by a re-render');
    await card.locator('button.park-audio-set').click();
    await page.locator('#result > div', { hasText: `dialplan.audio ${pick} fs-node-01` }).first().waitFor();
  });

  test('paused, the event list holds: filters apply to what was held, the count to what they match', async () => {
    const { page } = b;
    const late = page.locator('#events li[data-name="CUSTOM fsbus::late"]');
    await page.locator('#events-pause').click();
    await page.locator('#events-pause[data-paused="true"]').waitFor();
    w.nodes[0]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'fsbus::late', count: 2 });
    w.nodes[1]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'fsbus::late', count: 3 });
    await page.locator('#filter-name').fill('fsbus::late');
    await page.locator('#events-paused[data-new="5"]').waitFor();
    assert.equal(await late.count(), 0, 'a filter pulled in events that arrived after the pause');
    await page.locator('#filter-node').fill('fs-node-02');
    await page.locator('#events-paused[data-new="3"]', { hasText: 'paused · 3 new' }).waitFor();
    assert.equal(await late.count(), 0);
    await page.locator('#events-pause').click();
    await late.nth(2).waitFor();
    assert.equal(await late.count(), 3);
    assert.equal(await page.locator('#events-paused').textContent(), '');
    await page.locator('#filter-name').fill('');
    await page.locator('#filter-node').fill('');
  });

  test('details say why they cannot be read: the HTTP status, or an unreachable server', async () => {
    const { page } = b;
    w.nodes[0]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'fsbus::detail', count: 1 });
    const item = page.locator('#events li[data-name="CUSTOM fsbus::detail"]').first();
    await item.waitFor();
    await page.route('**/api/events/*', (route) => route.fulfill({ status: 500, body: 'boom' }));
    await item.click();
    await page.locator('#event-detail', { hasText: 'dashboard server answered HTTP 500' }).waitFor();
    await page.unroute('**/api/events/*');

    w.nodes[0]!.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
    const row = page.locator('#channels tbody tr').first();
    await row.waitFor();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await w.web.close();
    await page.locator('#server-state[data-state="reconnecting"]').waitFor();
    await item.click();
    await page.locator('#event-detail', { hasText: 'dashboard server unreachable' }).waitFor();
    await row.locator('button.timeline-open').click();
    await page.locator('#timeline-uuid', { hasText: 'dashboard server unreachable' }).waitFor();
    assert.deepEqual(errors, []);
    await page.mouse.move(0, 0);
    await w.restartWeb();
    await page.locator('#server-state[data-state="live"]').waitFor();
    for (const n of w.nodes) n.sim.core.control.hupall();
    await page.locator('#channels-empty').waitFor();
  });

  test('a dashboard restarted with its agents gone shows no stale cards', async () => {
    const { page } = b;
    await page.locator('article.card[data-node="fs-node-01"]').waitFor();
    await w.web.close();
    for (const n of w.nodes) await n.agent.stop();
    await page.locator('#server-state[data-state="reconnecting"]').waitFor();
    await w.restartWeb();
    await page.locator('#server-state[data-state="live"]').waitFor();
    await page.locator('#nodes article.card').first().waitFor({ state: 'detached' });
    await page.locator('#nodes .empty').waitFor();
    assert.equal(await page.locator('#originate-node option').count(), 1);
    assert.equal(await page.locator('#originate-node option').getAttribute('value'), '');
  });
});
