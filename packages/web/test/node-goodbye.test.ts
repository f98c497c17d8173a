// An agent that stops cleanly says goodbye (CUSTOM fsbus::agent_stop): the dashboard shows its
// node offline at once, as after missed polls (retention from then on), instead of two polls
// later; a node that answers a later poll is back online. Polls here come every hour, so only the
// goodbye can have done it. Real nats-server, agents and simulators; the dashboard's clock is the
// test's.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload, ReplyEnvelope } from '@fsbus/contract';
import { ClientBus, Dashboard, type DashboardBus, type NodeView } from '@fsbus/web';
import { connect } from '@nats-io/transport-node';
import { GatherHold } from './support/gather-hold.js';
import { nextPoll } from './support/next-poll.js';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const RETENTION_MS = 600_000;
const NO_POLLS_MS = 3_600_000;

function goodbye(nodeId: string): EventPayload {
  const timestamp = Date.now() * 1000;
  return {
    event_name: 'CUSTOM',
    timestamp,
    node_id: nodeId,
    headers: { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'fsbus::agent_stop', 'Event-Date-Timestamp': String(timestamp), 'FSBus-Node-ID': nodeId },
  };
}

const nodeOf = (d: Dashboard, id: string): NodeView | undefined => d.snapshot().nodes.find((n) => n.node_id === id);

describe('an agent that stops cleanly', () => {
  let w: Wiring;
  let now = Date.now();
  const removed: string[] = [];

  before(async () => {
    w = await startWiring(['fs-node-01', 'fs-node-02'], { clock: () => now, pollIntervalMs: NO_POLLS_MS, offlineNodeRetentionMs: RETENTION_MS });
    w.web.dashboard.onUpdate((u) => removed.push(...(u.nodes_removed ?? [])));
  });

  after(async () => {
    await w?.stop();
  });

  test('is shown offline at its goodbye, without missed polls; the retention runs from then', async () => {
    const { dashboard } = w.web;
    await dashboardUntil(dashboard, () => nodeOf(dashboard, 'fs-node-01')?.presence === 'online' && nodeOf(dashboard, 'fs-node-02')?.presence === 'online', 'both nodes online');
    await w.nodes[1]!.agent.stop();
    await dashboardUntil(dashboard, () => nodeOf(dashboard, 'fs-node-02')?.presence === 'offline', 'fs-node-02 offline');
    assert.equal(nodeOf(dashboard, 'fs-node-01')?.presence, 'online');

    // offlineSince is the clock at the goodbye: one retention later, the next poll removes it.
    now += RETENTION_MS;
    await nextPoll(dashboard, 'fs-node-01');
    assert.equal(nodeOf(dashboard, 'fs-node-02'), undefined);
    assert.deepEqual(removed, ['fs-node-02']);
  });

  test('a goodbye for a node still answering: offline now, online at the next poll; one naming an unknown node changes nothing', async () => {
    const { dashboard } = w.web;
    const nc = await connect({ servers: w.nats.url });
    try {
      const send = (p: EventPayload): void => nc.publish('freeswitch.events.custom.fsbus.agent_stop', JSON.stringify(p));
      send(goodbye('fs-node-99'));
      send(goodbye('fs-node-01'));
      await nc.flush();
      await dashboardUntil(dashboard, () => nodeOf(dashboard, 'fs-node-01')?.presence === 'offline', 'fs-node-01 offline');
      assert.deepEqual(dashboard.snapshot().nodes.map((n) => n.node_id), ['fs-node-01']);
      await nextPoll(dashboard, 'fs-node-01');
      assert.equal(nodeOf(dashboard, 'fs-node-01')?.presence, 'online');
    } finally {
      await nc.close();
    }
  });
});

/**
 * The dashboard's bus, except that one gather's answers are held until the test lets them go, and
 * `afterEvent` runs in the same turn as the dashboard's own handling of each event.
 */
class HeldGatherBus implements DashboardBus {
  readonly #bus: ClientBus;
  readonly #holds = new GatherHold();
  afterEvent: ((event: EventPayload) => void) | undefined;
  constructor(bus: ClientBus) {
    this.#bus = bus;
  }
  get state(): DashboardBus['state'] {
    return this.#bus.state;
  }
  get reconnects(): number {
    return this.#bus.reconnects;
  }
  /** The next gather completes, then waits for `release`; `gathered` resolves when its answers are in. */
  holdNext(): { gathered: Promise<void>; release: () => void } {
    return this.#holds.holdNext();
  }
  connect(): Promise<void> {
    return this.#bus.connect();
  }
  onState(listener: Parameters<DashboardBus['onState']>[0]): () => void {
    return this.#bus.onState(listener);
  }
  async gather(command: string, timeoutMs: number): ReturnType<DashboardBus['gather']> {
    const held = this.#holds.take();
    const answers = await this.#bus.gather(command, timeoutMs);
    await held();
    return answers;
  }
  request(body: Record<string, unknown>, nodeId: string | undefined, timeoutMs: number): Promise<ReplyEnvelope> {
    return this.#bus.request(body, nodeId, timeoutMs);
  }
  onEvent(listener: (event: EventPayload) => void): () => void {
    return this.#bus.onEvent((event) => {
      listener(event);
      this.afterEvent?.(event);
    });
  }
  close(): Promise<void> {
    return this.#bus.close();
  }
}

describe('a poll whose answers were gathered before the goodbye', () => {
  let w: Wiring;
  let bus: HeldGatherBus;
  let dashboard: Dashboard;

  before(async () => {
    w = await startWiring(['fs-node-01', 'fs-node-02'], { pollIntervalMs: NO_POLLS_MS });
    bus = new HeldGatherBus(new ClientBus({ servers: [w.nats.url] }));
    await bus.connect();
    dashboard = new Dashboard(bus, { pollIntervalMs: NO_POLLS_MS, gatherTimeoutMs: 300 });
    dashboard.start();
  });

  after(async () => {
    await dashboard?.close();
    await bus?.close();
    await w?.stop();
  });

  test('does not bring the node back online', async () => {
    await dashboardUntil(dashboard, () => nodeOf(dashboard, 'fs-node-01')?.presence === 'online' && nodeOf(dashboard, 'fs-node-02')?.presence === 'online', 'both nodes online');
    const held = bus.holdNext();
    const polled = nextPoll(dashboard, 'fs-node-01');
    try {
      await held.gathered; // fs-node-02's agent answered this poll, then stops
      await w.nodes[1]!.agent.stop();
      await dashboardUntil(dashboard, () => nodeOf(dashboard, 'fs-node-02')?.presence === 'offline', 'fs-node-02 offline');
    } finally {
      held.release();
    }
    await polled;
    assert.equal(nodeOf(dashboard, 'fs-node-02')?.presence, 'offline');
  });

  // The goodbye's time and a poll's start were both Date.now(): a poll begun in the same millisecond
  // as the goodbye was read (the next flush, a page asking) was taken for one gathered before it,
  // and a node still answering stayed offline until the poll after.
  test('a poll begun in the same turn as the goodbye is read brings a node still answering back', async () => {
    const nc = await connect({ servers: w.nats.url });
    try {
      let polled = false;
      bus.afterEvent = (e) => {
        if (polled || e.headers['Event-Subclass'] !== 'fsbus::agent_stop' || e.node_id !== 'fs-node-01') return;
        polled = true;
        assert.equal(nodeOf(dashboard, 'fs-node-01')?.presence, 'offline');
        dashboard.refresh();
      };
      nc.publish('freeswitch.events.custom.fsbus.agent_stop', JSON.stringify(goodbye('fs-node-01')));
      await nc.flush();
      await dashboardUntil(dashboard, () => polled && nodeOf(dashboard, 'fs-node-01')?.presence === 'online', 'fs-node-01 online after the poll begun with its goodbye', 5000);
    } finally {
      bus.afterEvent = undefined;
      await nc.close();
    }
  });
});
