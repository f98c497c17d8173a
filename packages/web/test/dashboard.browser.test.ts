// The dashboard in a real browser (Debian chromium + playwright-core) against demo-like wiring:
// nats-server + simulated FreeSWITCH + agent + dashboard, on free ports. Every wait is on DOM
// state (locator.waitFor), bounded by the page's default timeout.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { openBrowser, type Browser } from './support/browser.js';
import { startWiring, type Wiring } from './support/wiring.js';

describe('dashboard in chromium', () => {
  let w: Wiring;
  let b: Browser;

  before(async () => {
    w = await startWiring(['fs-node-01', 'fs-node-02']);
    b = await openBrowser(w.web.url);
  });

  after(async () => {
    await b?.close();
    await w?.stop();
  });

  test('shows one card per node, with its links and counters', async () => {
    const { page } = b;
    for (const id of ['fs-node-01', 'fs-node-02']) {
      const card = page.locator(`article.card[data-node="${id}"]`);
      await card.waitFor();
      await card.locator('.broker-state[data-state="connected"]').waitFor();
      await card.locator('.esl-state[data-state="ready"]').waitFor();
    }
    await page.locator('#bus-state[data-state="connected"]').waitFor();
    await page.locator('#server-state[data-state="live"]').waitFor();
    await page.locator('#total-nodes', { hasText: /^2$/ }).waitFor();
    await b.shot('nodes', page.locator('#nodes-view'));
  });

  test('a simulated call appears in the channels table, shows CHANNEL_ANSWER, and disappears on hangup', async () => {
    const { page } = b;
    // Exactly one inbound call to 7001 (answer + park), held until hung up from the page.
    w.nodes[1]!.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
    const row = page.locator('#channels tbody tr', { hasText: '→ 7001' });
    await row.waitFor();
    assert.equal(await row.getAttribute('data-node'), 'fs-node-02');
    await page.locator('#channels tbody tr[data-state="ACTIVE"]', { hasText: '→ 7001' }).waitFor();
    const uuid = await row.getAttribute('data-uuid');
    assert.ok(uuid !== null && uuid.length > 10);
    // The call is ACTIVE once answered; park, the next application, follows.
    await row.locator('td.app', { hasText: /park/ }).waitFor();
    assert.match((await row.locator('td.app').textContent()) ?? '', /park/);

    // The event stream shows the answer; a click shows every header.
    const answer = page.locator('#events li[data-name="CHANNEL_ANSWER"]').first();
    await answer.waitFor();
    await answer.click();
    const header = (name: string) => page.locator('#event-detail table.headers tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) }).locator('td');
    await header('Unique-ID').waitFor();
    assert.equal(await header('Unique-ID').textContent(), uuid);
    assert.equal(await header('Event-Name').textContent(), 'CHANNEL_ANSWER');
    await b.shot('events', page.locator('#events-view'));

    // The per-call timeline, events in order.
    await row.locator('button.timeline-open').click();
    await page.locator(`#timeline-view[data-uuid="${uuid}"]`).waitFor();
    await page.locator('#timeline li[data-name="CHANNEL_ANSWER"]').waitFor();
    const items: Array<readonly [string | null, number]> = [];
    for (const li of await page.locator('#timeline li').all()) items.push([await li.getAttribute('data-name'), Number(await li.getAttribute('data-id'))]);
    const names = items.map(([n]) => n);
    assert.ok(names.includes('CHANNEL_CREATE') && names.indexOf('CHANNEL_CREATE') < names.indexOf('CHANNEL_ANSWER'), names.join(' '));
    const ids = items.map(([, id]) => id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'timeline in arrival order');
    await b.shot('timeline', page.locator('#timeline-view'));
    await b.shot('channels', page.locator('#channels-view'));

    // Hangup from the page: the contract's reply is shown, the row goes.
    await row.locator('button.hangup').click();
    await page.locator('#result .ok', { hasText: 'Channel hangup successful' }).waitFor();
    // Rows stay (ended) while the pointer is on the table: it moves away.
    await page.mouse.move(0, 0);
    await page.locator(`#channels tbody tr[data-uuid="${uuid}"]`).waitFor({ state: 'detached' });
    await page.locator('#events li[data-name="CHANNEL_HANGUP_COMPLETE"]').first().waitFor();
  });

  test('originate from the page creates a call seen in the table', async () => {
    const { page } = b;
    await page.locator('#originate-form input[name="endpoint"]').fill('user/1000');
    await page.locator('#originate-form input[name="extension"]').fill('9000');
    await page.locator('#originate-node').selectOption('fs-node-01');
    await page.locator('#originate-button').click();
    const ok = page.locator('#result .ok', { hasText: 'Call originated successfully' });
    await ok.waitFor();
    // The reply's data names the new channel: {uuid, job_uuid, result}.
    const data = JSON.parse((await ok.locator('pre').textContent()) ?? '{}') as { uuid?: string };
    assert.ok(typeof data.uuid === 'string' && data.uuid.length > 10);
    const row = page.locator(`#channels tbody tr[data-uuid="${data.uuid}"]`);
    await row.waitFor();
    // The route shows the extension once the leg reaches it: events after the reply may still be on their way.
    await row.locator('td.route', { hasText: /→ 9000$/ }).waitFor();
    await b.shot('controls', page.locator('#controls-view'));
    await b.shot('dashboard');
    // Errors come back with the contract's message and code.
    await page.locator('#originate-form input[name="endpoint"]').fill('user/1000 evil');
    await page.locator('#originate-button').click();
    await page.locator('#result .err[data-code="FSBUS_ERR_BUS_INVALID_ARGUMENT"]').first().waitFor();
    await b.shot('controls-error', page.locator('#controls-view'));
    // Clean up the call through the page too.
    await row.locator('button.hangup').click();
    await page.mouse.move(0, 0);
    await row.waitFor({ state: 'detached' });
  });

  test('the park toggle changes the node card', async () => {
    const { page } = b;
    const card = page.locator('article.card[data-node="fs-node-01"]');
    await card.locator('.park-state[data-park="off"]').waitFor();
    await card.locator('button.park-toggle', { hasText: 'Park on' }).click();
    await page.locator('#result .ok', { hasText: 'Park mode enabled' }).waitFor();
    await card.locator('.park-state[data-park="on"]').waitFor();
    await b.shot('park', card);
    // And back: the button now says what it will do.
    await card.locator('button.park-toggle', { hasText: 'Park off' }).click();
    await page.locator('#result .ok', { hasText: 'Park mode disabled' }).waitFor();
    await card.locator('.park-state[data-park="off"]').waitFor();
    // The other node's card never changed.
    await page.locator('article.card[data-node="fs-node-02"] .park-state[data-park="off"]').waitFor();
  });

  test('a busy wall screen: calls on both nodes, rates drawn, all hung up at the end', async () => {
    const { page } = b;
    const gens = w.nodes.map((n, i) => n.sim.core.control.generateCalls({ ratePerSecond: 4 + 2 * i, holdMs: 4000, answerRatio: 0.8 }));
    await page.locator('#channels tbody tr').nth(7).waitFor();
    await page.locator('#total-eps', { hasText: /^[1-9]\d*$/ }).waitFor();
    await page.locator('#channels tbody tr[data-node="fs-node-01"]').first().waitFor();
    await page.locator('#channels tbody tr[data-node="fs-node-02"]').first().waitFor();
    await b.shot('wall-screen');
    // The filter box narrows the table to what matches.
    await page.locator('#channel-filter').fill('fs-node-02');
    await page.locator('#channels tbody tr[data-node="fs-node-01"]').first().waitFor({ state: 'detached' });
    await page.locator('#channels tbody tr[data-node="fs-node-02"]').first().waitFor();
    await page.locator('#channel-filter').fill('');
    for (const g of gens) g.stop();
    for (const n of w.nodes) n.sim.core.control.hupall();
    await page.locator('#channels-empty').waitFor();
  });

  test('a bus restart shows "reconnecting", then recovers', async () => {
    const { page } = b;
    await w.nats.halt();
    await page.locator('#bus-state[data-state="reconnecting"]').waitFor();
    await b.shot('bus-reconnecting', page.locator('header.top'));
    await w.nats.start();
    await page.locator('#bus-state[data-state="connected"]').waitFor();
    await page.locator('#bus-reconnects', { hasText: 'reconnects: 1' }).waitFor();
    await b.shot('bus-recovered', page.locator('header.top'));
    await page.locator('article.card[data-node="fs-node-01"] .broker-state[data-state="connected"]').waitFor();
    // Events flow again after the restart.
    w.nodes[0]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'fsbus::after_restart', count: 1 });
    await page.locator('#events li[data-name="CUSTOM fsbus::after_restart"]').waitFor();
    await page.locator('article.card[data-node="fs-node-02"] .broker-state[data-state="connected"]').waitFor();
  });

  test('a dashboard server restart shows "reconnecting", then the page recovers by itself, calls included', async () => {
    const { page } = b;
    w.nodes[0]!.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
    const row = page.locator('#channels tbody tr[data-node="fs-node-01"]');
    await row.waitFor();
    const uuid = await row.getAttribute('data-uuid');
    await w.web.close();
    await page.locator('#server-state[data-state="reconnecting"]').waitFor();
    await b.shot('server-reconnecting', page.locator('header.top'));
    // The new server never saw that call's events: it reads the node's channels itself.
    await w.restartWeb();
    await page.locator('#server-state[data-state="live"]').waitFor();
    await page.locator('article.card[data-node="fs-node-01"]').waitFor();
    // Drawn from the new server's state (second snapshot), not left over from the first.
    await page.locator(`#channels tbody tr[data-uuid="${uuid}"][data-state="ACTIVE"][data-gen="2"]`).waitFor();
    w.nodes[0]!.sim.core.control.hupall();
    await page.locator('#channels-empty').waitFor();
  });
});

describe('dashboard in chromium, behind a token', () => {
  const TOKEN = 'wall-screen-token-1';
  let w: Wiring;
  let b: Browser;

  before(async () => {
    w = await startWiring(['fs-node-01'], { auth: { token: TOKEN } });
    b = await openBrowser(`${w.web.url}?token=${TOKEN}`);
  });

  after(async () => {
    await b?.close();
    await w?.stop();
  });

  test('the page stays signed in across a dashboard restart; a changed token says "signed out", not a parse error', async () => {
    const { page } = b;
    assert.ok(!page.url().includes(TOKEN), 'the token left the address bar');
    await page.locator('#server-state[data-state="live"]').waitFor();
    await w.web.close();
    await w.restartWeb();
    await page.locator('#server-state[data-state="live"]').waitFor();
    await page.locator('article.card[data-node="fs-node-01"] .esl-state[data-state="ready"]').waitFor();

    await w.web.close();
    await w.restartWeb({ auth: { token: `${TOKEN}-rotated` } });
    await page.locator('#server-state[data-state="signed-out"]').waitFor();
    await b.shot('server-signed-out', page.locator('header.top'));
    await page.locator('article.card[data-node="fs-node-01"] button.park-audio-set').click();
    const result = page.locator('#result div[data-success="false"]').first();
    await result.waitFor();
    assert.match((await result.textContent()) ?? '', /signed out: .*open \/\?token=<token> again/);

    // Signing in with the new token (here: in the same tab) brings the page back.
    await page.goto(`${w.web.url}?token=${TOKEN}-rotated`);
    await page.locator('#server-state[data-state="live"]').waitFor();
  });
});
