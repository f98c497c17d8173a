// What an operator must not read as healthy. A cordoned node's card had the green "healthy"
// border and nothing saying cordoned; it says so (badge, amber border). The calls of a node whose
// FreeSWITCH stopped (agent up, `esl: reconnecting`) were live rows, hangup and play on, until
// FreeSWITCH came back; they are greyed as an offline node's are, saying why and since when.
// Real nats-server, agents and simulators, chromium.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openBrowser, type Browser } from './support/browser.js';
import { startWiring, type Wiring } from './support/wiring.js';

let w: Wiring;
let b: Browser;
let nc: NatsConnection;

before(async () => {
  w = await startWiring(['fs-node-01', 'fs-node-02']);
  nc = await connect({ servers: w.nats.url });
  b = await openBrowser(w.web.url);
  await b.page.locator('#server-state[data-state="live"]').waitFor();
});

after(async () => {
  await b?.close();
  await nc?.close();
  await w?.stop();
});

const classes = (attr: string | null): string[] => (attr ?? '').split(/\s+/).filter((c) => c !== '').sort();

async function request(id: string, command: string): Promise<void> {
  const reply = JSON.parse(new TextDecoder().decode((await nc.request(`freeswitch.node.${id}`, JSON.stringify({ command, node_id: id }), { timeout: 10_000 })).data)) as { success: boolean; message: string };
  assert.equal(reply.success, true, reply.message);
}

test('a cordoned node: its card says cordoned and is not healthy; uncordoned, healthy again', async () => {
  const { page } = b;
  const card = page.locator('article.card[data-node="fs-node-01"]');
  await page.locator('article.card.healthy[data-node="fs-node-01"]').waitFor();
  await request('fs-node-01', 'agent.cordon');
  const badge = card.locator('.badge.lanes[data-state="cordoned"]');
  await badge.waitFor();
  assert.equal(await badge.textContent(), 'cordoned');
  assert.match((await badge.getAttribute('title')) ?? '', /agent\.uncordon/);
  assert.deepEqual(classes(await card.getAttribute('class')), ['card', 'off-lanes']);
  // The amber of a degraded node, not the green of a healthy one.
  const [border, warn] = await page.evaluate<[string, string]>(`(() => {
    const probe = document.createElement('span');
    probe.style.color = 'var(--warn)';
    document.body.append(probe);
    const warn = getComputedStyle(probe).color;
    probe.remove();
    return [getComputedStyle(document.querySelector('article.card[data-node="fs-node-01"]')).borderLeftColor, warn];
  })()`);
  assert.equal(border, warn);
  // Its presence badge still says online: it answers, only off the shared lanes.
  assert.equal(await card.locator('.badge.presence').textContent(), 'online');
  await b.shot('cordoned-card', card);

  await request('fs-node-01', 'agent.uncordon');
  await page.locator('article.card.healthy[data-node="fs-node-01"]').waitFor();
  assert.equal(await card.locator('.badge.lanes').isVisible(), false);
});

test('the calls of a node whose FreeSWITCH stopped are greyed (why and since when), hangup and play off; gone once FreeSWITCH is back', async () => {
  const { page } = b;
  const n = w.nodes[1]!;
  n.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  const row = page.locator('#channels tbody tr[data-node="fs-node-02"][data-state="ACTIVE"]');
  await row.waitFor();
  assert.equal(await row.getAttribute('data-stale'), null);
  assert.equal(await row.locator('button.hangup').isDisabled(), false);

  const { port } = n.agent.config.esl;
  await n.sim.stop();
  await page.locator('article.card[data-node="fs-node-02"] .esl-state:not([data-state="ready"])').waitFor();
  await page.locator('#channels tbody tr[data-node="fs-node-02"][data-stale="true"]').waitFor();
  assert.equal(await row.getAttribute('data-stale-reason'), 'freeswitch');
  assert.equal(await row.locator('button.hangup').isDisabled(), true);
  assert.equal(await row.locator('button.playback').isDisabled(), true);
  assert.equal(await row.locator('button.timeline-open').isDisabled(), false);
  assert.match((await row.getAttribute('title')) ?? '', /^FreeSWITCH unreachable since \S/);
  // Its card: online (the agent answers), off the shared lanes, not healthy.
  const card = page.locator('article.card[data-node="fs-node-02"]');
  assert.equal(await card.getAttribute('data-presence'), 'online');
  assert.deepEqual(classes(await card.getAttribute('class')), ['card', 'unhealthy']);
  await b.shot('freeswitch-down-rows', page.locator('#channels'));

  const fresh = new Simulator({ port, heartbeatIntervalMs: 0, nodeName: n.id });
  n.sim = fresh; // stopped by w.stop()
  await fresh.start();
  await page.locator('article.card.healthy[data-node="fs-node-02"]').waitFor();
  await page.locator('#channels tbody tr[data-node="fs-node-02"]').waitFor({ state: 'detached' });
});
