// A node's state shown where it matters. A stopped node's calls were shown as live rows, their
// durations ticking and hangup offered, until the node was forgotten (10 min); they are greyed,
// stopped at the node's last answer, hangup and playback off. A busy node (its agent.status
// answer an error envelope) was shown offline; its card says degraded and why. Real nats-server,
// agents and simulators, chromium; fs-node-03 is a stand-in answering the broadcast as told.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, encodeReply, errorReply } from '@fsbus/contract';
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

test('the calls of a node gone offline are greyed: duration stopped, hangup and playback off, the timeline still there', async () => {
  const { page } = b;
  w.nodes[1]!.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  const row = page.locator('#channels tbody tr[data-node="fs-node-02"][data-state="ACTIVE"]');
  await row.waitFor();
  assert.equal(await row.getAttribute('data-stale'), null);
  assert.equal(await row.locator('button.hangup').isDisabled(), false);

  await w.nodes[1]!.agent.stop();
  await page.locator('article.card[data-node="fs-node-02"][data-presence="offline"]').waitFor();
  await page.locator('#channels tbody tr[data-node="fs-node-02"][data-stale="true"]').waitFor();
  assert.equal(await row.locator('button.hangup').isDisabled(), true);
  assert.equal(await row.locator('button.playback').isDisabled(), true);
  assert.equal(await row.locator('button.timeline-open').isDisabled(), false);
  assert.match((await row.getAttribute('title')) ?? '', /node is offline/);

  // The page ticks every second (fs-node-01's uptime shows it): the stale row's duration does not move.
  const frozen = await row.locator('td.duration').textContent();
  const uptime = page.locator('article.card[data-node="fs-node-01"] dd.uptime');
  for (let ticks = 0; ticks < 2; ticks++) {
    const before = (await uptime.textContent()) ?? '';
    await uptime.filter({ hasNotText: new RegExp(`^${before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();
  }
  assert.equal(await row.locator('td.duration').textContent(), frozen);
  await b.shot('stale-rows', page.locator('#channels'));
});

test('a node answering agent.status with FSBUS_ERR_BUS_BUSY: its card is degraded ("busy"), with the error, not offline', async () => {
  const { page } = b;
  const sub = nc.subscribe('freeswitch.broadcast', {
    callback: (_e, m) => void m.respond(encodeReply(errorReply({ nodeId: 'fs-node-03', code: BusErrorCode.BUSY, message: 'Agent busy: 4 commands in flight' }))),
  });
  try {
    await nc.flush();
    const card = page.locator('article.card[data-node="fs-node-03"][data-presence="degraded"]');
    await card.waitFor();
    assert.equal(await card.locator('.badge.presence').textContent(), 'busy');
    assert.equal(await card.locator('p.degraded').textContent(), 'answers agent.status with FSBUS_ERR_BUS_BUSY: Agent busy: 4 commands in flight (last status shown)');
    await page.locator('#total-nodes', { hasText: /^2$/ }).waitFor();
    await b.shot('degraded-card', card);
  } finally {
    sub.unsubscribe();
  }
});
