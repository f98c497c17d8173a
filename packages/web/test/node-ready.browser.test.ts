// A node's readiness on its card. agent.status tells `ready` and, when not, `not_ready_reason`
// (what /readyz says); the card showed only the two links, so a node up but not ready (e.g.
// FreeSWITCH refusing the event subscription) read as fine. The reason is text from the bus: shown
// as text, never markup. An older agent tells neither: its card says nothing, not "not ready".
// Real nats-server, agent and simulator, chromium; stand-ins answer the broadcast as told.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openBrowser, type Browser } from './support/browser.js';
import { startWiring, type Wiring } from './support/wiring.js';

let w: Wiring;
let b: Browser;
let nc: NatsConnection;

before(async () => {
  w = await startWiring(['fs-node-01']);
  nc = await connect({ servers: w.nats.url });
  b = await openBrowser(w.web.url);
  await b.page.locator('#server-state[data-state="live"]').waitFor();
});

after(async () => {
  await b?.close();
  await nc?.close();
  await w?.stop();
});

const envelope = (nodeId: string, data: Record<string, unknown>): string =>
  JSON.stringify({ success: true, status: 'success', message: 'Agent status retrieved', timestamp: Date.now() * 1000, node_id: nodeId, data: { node_id: nodeId, uptime: 1, driver: 'nats', broker: { status: 'connected' }, esl: { status: 'ready' }, ...data } });

const REASON = 'FreeSWITCH refused the event subscription (<img src=x onerror="document.body.dataset.pwned=1">), retrying';

test('ready, not ready with its reason (as text), and nothing for an agent that does not tell', async () => {
  const { page } = b;
  const real = page.locator('article.card[data-node="fs-node-01"] dd.node-ready[data-state="ready"]');
  await real.waitFor();
  assert.equal(await real.textContent(), 'ready');

  const subs = [
    nc.subscribe('freeswitch.broadcast', { callback: (_e, m) => void m.respond(envelope('not-ready-01', { ready: false, not_ready_reason: REASON })) }),
    nc.subscribe('freeswitch.broadcast', { callback: (_e, m) => void m.respond(envelope('older-01', {})) }),
  ];
  try {
    await nc.flush();
    const card = page.locator('article.card[data-node="not-ready-01"]');
    const dd = card.locator('dd.node-ready[data-state="not-ready"]');
    await dd.waitFor();
    assert.equal(await dd.textContent(), `not ready: ${REASON}`);
    assert.equal(await dd.getAttribute('title'), REASON);
    assert.equal(await card.locator('img').count(), 0);
    assert.equal(await page.evaluate('document.body.dataset.pwned ?? null'), null);
    // Links up but not ready: not the green of a node taking its share.
    assert.deepEqual((await card.getAttribute('class'))?.split(/\s+/).sort(), ['card', 'unhealthy']);
    await b.shot('not-ready-card', card);

    const older = page.locator('article.card[data-node="older-01"] dd.node-ready');
    await older.waitFor();
    assert.equal(await older.textContent(), '–');
    assert.equal(await older.getAttribute('data-state'), 'unknown');
  } finally {
    for (const s of subs) s.unsubscribe();
  }
});
