// The page's side of a stall: the card says "no FreeSWITCH events since …", the node's rows are
// greyed with their durations stopped (hangup and playback stay on: the node answers), and all of
// it goes when events come again. Real nats-server, agent and simulator, chromium; the
// dashboard's clock is the test's (moved past the bound at each update).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { openBrowser, type Browser } from './support/browser.js';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const NODE = 'fs-node-01';
const STALL_MS = 50_000;

let w: Wiring;
let b: Browser;
let now = Date.now();

before(async () => {
  w = await startWiring([NODE], { clock: () => now, eventStallMs: STALL_MS });
  b = await openBrowser(w.web.url);
  await b.page.locator('#server-state[data-state="live"]').waitFor();
});

after(async () => {
  await b?.close();
  await w?.stop();
});

test('events stalled: the card says since when, the rows are stale with controls on; events again clear both', async () => {
  const { page } = b;
  const { dashboard } = w.web;
  const n = w.nodes[0]!;
  const uuid = n.sim.core.control.placeInboundCall({ to: '7001', hangupAfterMs: 600_000 });
  const row = page.locator(`#channels tbody tr[data-uuid="${uuid}"]`);
  await row.waitFor();
  const card = page.locator(`article.card[data-node="${NODE}"]`);
  assert.equal(await card.locator('p.events-stalled').isHidden(), true);

  n.sim.control.pauseEvents();
  await dashboardUntil(
    dashboard,
    () => {
      now += STALL_MS + 1;
      return dashboard.snapshot().nodes[0]?.events_stalled_since !== undefined;
    },
    'the stall said',
  );
  await card.locator('p.events-stalled:not([hidden])').waitFor();
  assert.match((await card.locator('p.events-stalled').textContent()) ?? '', /^no FreeSWITCH events since .+: events stalled, its calls may have ended unseen$/);
  await page.locator(`#channels tbody tr[data-uuid="${uuid}"][data-stale-reason="events"]`).waitFor();
  assert.match((await row.getAttribute('title')) ?? '', /no FreeSWITCH events from its node since/);
  assert.equal(await row.locator('button.hangup').isDisabled(), false);
  await b.shot('events-stalled', card);

  n.sim.control.resumeEvents();
  // Nothing was held (the simulator sends no HEARTBEAT here): a new call's events are the next ones.
  n.sim.core.control.placeInboundCall({ to: '7001', hangupAfterMs: 600_000 });
  await card.locator('p.events-stalled[hidden]').waitFor({ state: 'attached' });
  await page.locator(`#channels tbody tr[data-uuid="${uuid}"]:not([data-stale])`).waitFor();
});
