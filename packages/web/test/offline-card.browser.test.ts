// What the page says about what it knows and since when: an offline node's card says since when
// it is offline and when it was last seen, its last statuses marked last known (not current);
// the header counts calls on offline nodes apart, as it leaves those nodes out of its node
// count; and before the first status poll ended the header says so instead of "0 nodes".
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { startWeb, type WebServer } from '@fsbus/web';
import { openBrowser, type Browser } from './support/browser.js';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

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

test('an offline node: offline since when, last seen, its statuses last known; the header counts its calls apart', async () => {
  const { page } = b;
  const { dashboard } = w.web;
  const card = page.locator('article.card[data-node="fs-node-02"]');
  await card.locator('dd.broker-state[data-state="connected"]').waitFor();
  const uuids = [w.nodes[0]!.sim.core.control.placeInboundCall({ to: '7001' }), w.nodes[1]!.sim.core.control.placeInboundCall({ to: '7001' }), w.nodes[1]!.sim.core.control.placeInboundCall({ to: '7001' })];
  await dashboardUntil(dashboard, () => uuids.every((u) => dashboard.channel(u) !== undefined), 'three calls in the table');
  await page.locator('#total-channels', { hasText: /^3$/ }).waitFor();
  assert.equal(await page.locator('#total-channels-stale').isVisible(), false);

  await w.nodes[1]!.agent.stop();
  await page.locator('article.card[data-node="fs-node-02"][data-presence="offline"]').waitFor();
  const since = card.locator('.offline-since');
  await since.waitFor();
  assert.match((await since.textContent()) ?? '', /^offline since \d{1,2}:\d{2}:\d{2}.* · last seen \d{1,2}:\d{2}:\d{2}.*: last known status below$/);
  for (const field of ['broker-state', 'esl-state', 'node-ready']) {
    const dd = card.locator(`dd.${field}`);
    assert.equal(await dd.getAttribute('data-last-known'), 'true', field);
    assert.match(await page.evaluate<string>(`getComputedStyle(document.querySelector('article.card[data-node="fs-node-02"] dd.${field}')).textDecorationLine`), /line-through/, field);
  }
  assert.equal(await page.locator('#total-nodes').textContent(), '1');
  assert.equal(await page.locator('#total-channels').textContent(), '3');
  assert.equal(await page.locator('#total-channels-stale').textContent(), '(2 on offline nodes)');
  await b.shot('web-offline-card', card);
});

test('before its first status poll ended the header says so, not 0 nodes and 0 channels', async () => {
  // A bus never reached: no poll ever ends.
  let web: WebServer | undefined;
  let page: Browser | undefined;
  try {
    web = await startWeb({ port: 0, bus: { servers: ['nats://127.0.0.1:1'] }, warn: () => undefined });
    assert.equal(web.dashboard.snapshot().first_poll_pending, true);
    page = await openBrowser(web.url);
    await page.page.locator('#first-poll:not([hidden])', { hasText: 'first poll pending' }).waitFor();
    assert.equal(await page.page.locator('#total-nodes').textContent(), '…');
    assert.equal(await page.page.locator('#total-channels').textContent(), '…');
  } finally {
    await page?.close();
    await web?.close();
  }
});

test('a poll that ended with no agent says so in the nodes panel, not "waiting for agents"', async () => {
  // A bus with no agent on it: the first poll ends with nobody answering.
  const nats = await startNatsServer();
  let web: WebServer | undefined;
  let page: Browser | undefined;
  try {
    web = await startWeb({ port: 0, bus: { servers: [nats.url] }, pollIntervalMs: 500, gatherTimeoutMs: 300, eventStallMs: 0, warn: () => undefined });
    page = await openBrowser(web.url);
    await page.page.locator('#first-poll[hidden]').waitFor({ state: 'attached' });
    await page.page.locator('#nodes p.empty', { hasText: /^no agent answered agent\.status: none runs on this bus/ }).waitFor();
    assert.equal(await page.page.locator('#total-nodes').textContent(), '0');
  } finally {
    await page?.close();
    await web?.close();
    await nats.stop();
  }
});
