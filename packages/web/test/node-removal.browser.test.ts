// A node whose agent is gone for good: its card turns offline, then leaves the page (and the
// originate node list) once the dashboard forgets the node. The dashboard's clock is the test's.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { openBrowser, type Browser } from './support/browser.js';
import { startWiring, type Wiring } from './support/wiring.js';

const RETENTION_MS = 600_000;
let now = Date.now();
let w: Wiring;
let b: Browser;

before(async () => {
  w = await startWiring(['fs-node-01', 'fs-node-02'], { clock: () => now, offlineNodeRetentionMs: RETENTION_MS });
  b = await openBrowser(w.web.url);
  await b.page.locator('#server-state[data-state="live"]').waitFor();
});

after(async () => {
  await b?.close();
  await w?.stop();
});

test('the card of a stopped agent turns offline, then leaves the page and the originate list', async () => {
  const { page } = b;
  const card = (id: string, presence: string): ReturnType<typeof page.locator> => page.locator(`article.card[data-node="${id}"][data-presence="${presence}"]`);
  await card('fs-node-01', 'online').waitFor();
  await card('fs-node-02', 'online').waitFor();

  await w.nodes[1]!.agent.stop();
  await card('fs-node-02', 'offline').waitFor();
  now += RETENTION_MS;
  await page.locator('article.card[data-node="fs-node-02"]').waitFor({ state: 'detached' });

  await card('fs-node-01', 'online').waitFor();
  const options = page.locator('#originate-node option');
  assert.equal(await options.count(), 2);
  assert.deepEqual([await options.nth(0).getAttribute('value'), await options.nth(1).getAttribute('value')], ['', 'fs-node-01']);
});
