// An originate from the dashboard rings for up to a minute: the control answers at once with the
// call's uuid (`ringing`), every page follows it in the stream (snapshot `originates`) until it
// answers or fails, and a dashboard keeps at most maxPendingOriginates ringing. A real
// nats-server, a simulated FreeSWITCH (scripted far ends) and an agent; every wait is on the
// dashboard's own updates.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { CONTROL_HEADER, WebErrorCode, type CommandResult, type OriginateView } from '@fsbus/web';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const NODE = 'fs-node-01';
/** Rings until FreeSWITCH's 60 s ring timeout: the tests end its calls themselves. */
const RINGS = 'user/2000';
const BUSY = 'user/2001';
const ANSWERS = 'user/2002';

let w: Wiring;

before(async () => {
  w = await startWiring([NODE], { maxPendingOriginates: 2 });
  const control = w.nodes[0]!.sim.core.control;
  control.setEndpointBehavior(RINGS, { answer: 'no-answer' });
  control.setEndpointBehavior(BUSY, { answer: 'busy' });
  control.setEndpointBehavior(ANSWERS, { answer: 'answer' });
});

after(async () => {
  await w?.stop();
});

async function post(body: Record<string, unknown>): Promise<{ status: number; result: CommandResult }> {
  const res = await fetch(new URL('/api/command', w.web.url), {
    method: 'POST',
    headers: { [CONTROL_HEADER]: '1', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, result: (await res.json()) as CommandResult };
}

/** Sends an originate to `endpoint` and expects it taken: its view, `ringing`. */
async function ringing(endpoint: string): Promise<OriginateView> {
  const { status, result } = await post({ command: 'originate', endpoint, extension: '9000', node_id: NODE });
  assert.equal(status, 200, result.message);
  assert.equal(result.success, true, `the control waited for the call's outcome: ${result.message} ${result.code ?? ''}`);
  const view = result.data as OriginateView;
  assert.equal(view.state, 'ringing');
  assert.equal(view.endpoint, endpoint);
  assert.equal(view.node_id, NODE);
  return view;
}

function tracked(uuid: string): OriginateView | undefined {
  return w.web.dashboard.snapshot().originates.find((o) => o.uuid === uuid);
}

async function ended(uuid: string): Promise<OriginateView> {
  await dashboardUntil(w.web.dashboard, () => tracked(uuid)?.state !== 'ringing', `the end of originate ${uuid}`, 30_000);
  return tracked(uuid)!;
}

/** Hangs up a ringing originate as the page's cancel does. */
async function cancel(uuid: string): Promise<OriginateView> {
  const { result } = await post({ command: 'hangup', uuid, cause: 'ORIGINATOR_CANCEL', node_id: NODE });
  assert.equal(result.success, true, result.message);
  return ended(uuid);
}

test('a ringing originate answers the control at once, and a second one is taken while the first still rings', async () => {
  const first = await ringing(RINGS);
  // The far end rings: its channel is on the dashboard, the originate still pending.
  await dashboardUntil(w.web.dashboard, () => w.web.dashboard.channel(first.uuid) !== undefined, 'the first call ringing');
  const second = await ringing(RINGS);
  assert.notEqual(second.uuid, first.uuid);
  assert.equal(tracked(first.uuid)?.state, 'ringing');
  assert.equal(tracked(second.uuid)?.state, 'ringing');
  for (const o of [first, second]) {
    const out = await cancel(o.uuid);
    assert.equal(out.state, 'failed');
    assert.equal(out.cause, 'ORIGINATOR_CANCEL');
    assert.equal(out.result?.code, 'FSBUS_ERR_BUS_ORIGINATE_FAILED');
    assert.ok(out.ended !== undefined && out.ended >= out.started);
  }
});

test("the outcome is told on the originate: FreeSWITCH's cause for a busy far end, the call's uuid for an answered one", async () => {
  const busy = await ended((await ringing(BUSY)).uuid);
  assert.equal(busy.state, 'failed');
  assert.equal(busy.cause, 'USER_BUSY');
  assert.match(busy.result?.message ?? '', /USER_BUSY/);

  const placed = await ringing(ANSWERS);
  const answered = await ended(placed.uuid);
  assert.equal(answered.state, 'answered', answered.result?.message);
  assert.equal(answered.cause, undefined);
  assert.equal((answered.result?.data as { uuid?: string } | undefined)?.uuid, placed.uuid);
  assert.equal(answered.result?.node_id, NODE);
  const { result } = await post({ command: 'hangup', uuid: placed.uuid, node_id: NODE });
  assert.equal(result.success, true, result.message);
});

test('past maxPendingOriginates the control is refused, saying why, until one of them ends', async () => {
  const held = [await ringing(RINGS), await ringing(RINGS)];
  const refused = await post({ command: 'originate', endpoint: RINGS, extension: '9000', node_id: NODE });
  assert.equal(refused.status, 429);
  assert.equal(refused.result.success, false);
  assert.equal(refused.result.code, WebErrorCode.BUSY);
  assert.match(refused.result.message, /2 originates .*already ringing/);
  assert.equal(w.web.dashboard.snapshot().originates.filter((o) => o.state === 'ringing').length, 2, 'the refused one was not sent');
  await cancel(held[0]!.uuid);
  const next = await ringing(RINGS);
  for (const o of [held[1]!, next]) await cancel(o.uuid);
});
