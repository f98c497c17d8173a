// A node whose FreeSWITCH was down keeps `esl_down_since` (its calls shown stale) until its
// channels are read again once FreeSWITCH is back, not only until its agent says `ready`: calls
// that ended unseen showed live (hangup on) between the first `ready` status and the re-read.
// Real nats-server, agent and simulators; the dashboard's channel reads fail while the test says.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, type ReplyEnvelope } from '@fsbus/contract';
import { ClientBus, type NodeView } from '@fsbus/web';
import { Simulator } from '@fsbus/sim';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const NODE = 'fs-node-01';

/** The real bus link; while `failShows`, the node's `show channels` answers as if FreeSWITCH refused it. */
class FailingShows extends ClientBus {
  failShows = false;
  override async request(body: Record<string, unknown>, nodeId: string | undefined, timeoutMs: number): Promise<ReplyEnvelope> {
    if (this.failShows && body['command'] === 'show') {
      return { success: false, status: 'error', code: BusErrorCode.FREESWITCH_UNAVAILABLE, message: 'channel read refused by the test', timestamp: Date.now() * 1000, node_id: nodeId ?? NODE };
    }
    return super.request(body, nodeId, timeoutMs);
  }
}

let w: Wiring;
let bus: FailingShows;

before(async () => {
  w = await startWiring([NODE]);
  // The same dashboard again, on the test's link (retrying a failed read soon).
  await w.web.close();
  bus = new FailingShows({ servers: [w.nats.url] });
  await w.restartWeb({ busLink: bus, syncRetryMs: 50 });
});

after(async () => {
  await w?.stop();
});

test('FreeSWITCH back: esl_down_since kept (calls stale) while the re-read fails, cleared by the read that works', async () => {
  const { dashboard } = w.web;
  const n = w.nodes[0]!;
  const node = (): NodeView | undefined => dashboard.snapshot().nodes.find((x) => x.node_id === NODE);
  const calls = (): number => dashboard.snapshot().channels.filter((c) => c.node_id === NODE).length;
  n.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  await dashboardUntil(dashboard, () => calls() > 0, 'a call listed');

  const { port } = n.agent.config.esl;
  await n.sim.stop();
  await dashboardUntil(dashboard, () => node()?.esl_down_since !== undefined, 'FreeSWITCH shown down');
  const downSince = node()!.esl_down_since;

  bus.failShows = true;
  const fresh = new Simulator({ port, heartbeatIntervalMs: 0, nodeName: n.id });
  n.sim = fresh; // stopped by w.stop()
  await fresh.start();
  const esl = (): unknown => (node()?.status['esl'] as { status?: unknown } | undefined)?.status;
  await dashboardUntil(dashboard, () => esl() === 'ready' && node()?.sync_error !== undefined, 'FreeSWITCH ready, its channels not read');
  // The calls it had are gone from FreeSWITCH, unseen: still stale, not live.
  assert.equal(node()?.esl_down_since, downSince);
  assert.ok(calls() > 0);

  bus.failShows = false;
  await dashboardUntil(dashboard, () => node()?.sync_error === undefined, 'the channels read again');
  assert.equal(node()?.esl_down_since, undefined);
  assert.equal(calls(), 0);
});
