// A node whose channel list the dashboard cannot read (larger than the broker carries, even as
// the compact listing): its card says so in the browser, as the server's `sync_error` does.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { openBrowser } from './support/browser.js';
import { dashboardUntil, startWiring } from './support/wiring.js';

test('a node whose channels cannot be read shows why on its card', async () => {
  // ~250 bytes a row in `show channels`: 100 channels are over 16 KiB in either listing.
  const w = await startWiring(['fs-node-01'], {}, { maxPayloadBytes: 16 * 1024 });
  try {
    const node = w.nodes[0]!;
    const gen = node.sim.core.control.generateCalls({ ratePerSecond: 200, durationMs: 60_000, holdMs: 600_000, answerRatio: 1 });
    await dashboardUntil(w.web.dashboard, () => w.web.dashboard.snapshot().channels.length >= 100, '100 calls in the table');
    gen.stop();
    await gen.done;
    const listing = await node.sim.core.api('show', 'channels');
    assert.ok(listing.length > 16 * 1024, `${listing.length} bytes: more than the broker carries`);
    // A fresh dashboard has to read them, and cannot.
    await w.web.close();
    const web = await w.restartWeb();
    await dashboardUntil(web.dashboard, () => web.dashboard.snapshot().nodes[0]?.sync_error !== undefined, 'the sync error');
    const b = await openBrowser(web.url);
    try {
      const note = b.page.locator('article.card[data-node="fs-node-01"] .sync-error');
      await note.waitFor();
      assert.match(await note.innerText(), /^channels may be stale: .+\(\d+ attempts?, next at /);
      assert.equal(await note.getAttribute('data-code'), 'FSBUS_ERR_BUS_REPLY_TOO_LARGE');
    } finally {
      await b.close();
    }
  } finally {
    await w.stop();
  }
});
