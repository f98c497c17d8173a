// Two agents under one node id (a misconfiguration their agents report, node_id_conflict): when
// one stops cleanly, its goodbye (fsbus::agent_stop, `FSBus-Instance-ID`) took the node offline,
// though the other one still answers for it. A goodbye takes the node offline only when it comes
// from an instance heard answering for the node and no other one was heard with it; a goodbye
// without the header (an older agent) still does at once. A poll gathered before a goodbye
// keeps the ordering: the leaving instance's answer does not bring the node back, another's does.
// No broker: a bus whose answers and events the test gives.
import { afterEach, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AGENT_STOP_SUBCLASS, type EventPayload, type ReplyEnvelope } from '@fsbus/contract';
import { Dashboard, type BusState, type DashboardBus, type NodeView } from '@fsbus/web';
import { GatherHold } from './support/gather-hold.js';
import { nextPoll } from './support/next-poll.js';

const NODE = 'fs-node-01';
/** A node answering every poll, alone: each poll's update names it, whatever happens to NODE. */
const WITNESS = 'fs-node-02';
const NO_POLLS_MS = 3_600_000;

type Gathered = Awaited<ReturnType<DashboardBus['gather']>>;

/** A bus whose agents (instance ids) answer agent.status as the test says; a gather can be held. */
class TwinBus implements DashboardBus {
  readonly state: BusState = 'connected';
  readonly reconnects = 0;
  /** The instances answering the next gathers; `null` answers without an instance_id (an older agent), `'refusal'` with a shutting-down error (no instance named). */
  answering: Array<string | null> = [];
  #listeners = new Set<(e: EventPayload) => void>();
  readonly #holds = new GatherHold();

  connect(): Promise<void> {
    return Promise.resolve();
  }
  onState(): () => void {
    return () => undefined;
  }
  /** The next gather takes its answers, then waits for `release`. */
  holdNext(): { gathered: Promise<void>; release: () => void } {
    return this.#holds.holdNext();
  }
  async gather(): Promise<Gathered> {
    const answer = (node: string, instance: string | null): ReplyEnvelope => ({
      success: true,
      status: 'success',
      message: 'ok',
      timestamp: Date.now() * 1000,
      node_id: node,
      data: { node_id: node, ...(instance === null ? {} : { instance_id: instance }), esl: { status: 'ready', reconnects: 0 } },
    });
    const refusal: ReplyEnvelope = { success: false, status: 'error', message: 'agent is shutting down', code: 'FSBUS_ERR_BUS_SHUTTING_DOWN', timestamp: Date.now() * 1000, node_id: NODE };
    const answers = [answer(WITNESS, 'witness'), ...this.answering.map((instance) => (instance === 'refusal' ? refusal : answer(NODE, instance)))];
    await this.#holds.take()();
    return answers;
  }
  request(): Promise<ReplyEnvelope> {
    return Promise.resolve({ success: true, status: 'success', message: 'ok', timestamp: Date.now() * 1000, node_id: NODE, data: '{"row_count":0}' });
  }
  onEvent(listener: (e: EventPayload) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** The goodbye of `instance` (none: an older agent's, without the header). */
  goodbye(instance?: string): void {
    const timestamp = Date.now() * 1000;
    const headers: Record<string, string> = { 'Event-Name': 'CUSTOM', 'Event-Subclass': AGENT_STOP_SUBCLASS, 'Event-Date-Timestamp': String(timestamp), 'FSBus-Node-ID': NODE };
    if (instance !== undefined) headers['FSBus-Instance-ID'] = instance;
    for (const l of this.#listeners) l({ event_name: 'CUSTOM', timestamp, node_id: NODE, headers });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let dashboard: Dashboard | undefined;

afterEach(async () => {
  await dashboard?.close();
  dashboard = undefined;
});

const presence = (d: Dashboard): NodeView['presence'] | undefined => d.snapshot().nodes.find((n) => n.node_id === NODE)?.presence;

/** Resolves once a poll begun by this call has been applied (its update names the witness). */
const poll = (d: Dashboard): Promise<void> => nextPoll(d, WITNESS, 5000);

/** A poll whose answers are in when `instance` says goodbye, applied after the goodbye. */
async function goodbyeDuringPoll(bus: TwinBus, d: Dashboard, instance: string): Promise<void> {
  const held = bus.holdNext();
  const polled = poll(d);
  await held.gathered;
  bus.goodbye(instance);
  held.release();
  await polled;
}

/** A dashboard whose first poll heard `answering`. */
async function started(bus: TwinBus, answering: Array<string | null>): Promise<Dashboard> {
  bus.answering = answering;
  const d = new Dashboard(bus, { pollIntervalMs: NO_POLLS_MS, flushIntervalMs: 10 });
  dashboard = d;
  d.start();
  await poll(d);
  assert.equal(presence(d), 'online');
  return d;
}

test('the goodbye of one of two instances answering leaves the node online; the last one\'s takes it offline', async () => {
  const bus = new TwinBus();
  const d = await started(bus, ['agent-a', 'agent-b']);
  bus.goodbye('agent-a');
  assert.equal(presence(d), 'online', 'agent-b still answers for the node');
  bus.answering = ['agent-b'];
  await poll(d);
  assert.equal(presence(d), 'online');
  bus.goodbye('agent-b');
  assert.equal(presence(d), 'offline');
});

test('the goodbye of an instance other than the one answering leaves the node online', async () => {
  const bus = new TwinBus();
  const d = await started(bus, ['agent-b']);
  bus.goodbye('agent-a');
  assert.equal(presence(d), 'online', 'agent-b, the instance heard, still answers');
  bus.goodbye('agent-b');
  assert.equal(presence(d), 'offline');
});

test('a goodbye without the instance header (an older agent) takes the node offline at once', async () => {
  const bus = new TwinBus();
  const d = await started(bus, ['agent-a', 'agent-b']);
  bus.goodbye();
  assert.equal(presence(d), 'offline');
  await poll(d);
  assert.equal(presence(d), 'online', 'the next poll brings it back');
});

test('answers that told no instance: the goodbye takes the node offline at once', async () => {
  const bus = new TwinBus();
  const d = await started(bus, [null]);
  bus.goodbye('agent-a');
  assert.equal(presence(d), 'offline');
});

test('a poll gathered before a goodbye: the leaving instance\'s answer does not bring the node back, another\'s does', async () => {
  const bus = new TwinBus();
  const d = await started(bus, ['agent-a']);
  // agent-b starts under the same id: both answer the next poll, gathered before agent-a leaves.
  bus.answering = ['agent-b', 'agent-a'];
  const held = bus.holdNext();
  const polled = poll(d);
  await held.gathered;
  bus.goodbye('agent-a');
  assert.equal(presence(d), 'offline', 'agent-a was the only instance heard');
  held.release();
  await polled;
  assert.equal(presence(d), 'online', 'agent-b answered');
  // agent-a's answer, older than its goodbye, does not count as serving: agent-b's goodbye ends it.
  bus.goodbye('agent-b');
  assert.equal(presence(d), 'offline');

  // One instance only: its answer gathered before its goodbye does not bring the node back.
  bus.answering = ['agent-c'];
  await poll(d);
  assert.equal(presence(d), 'online');
  await goodbyeDuringPoll(bus, d, 'agent-c');
  assert.equal(presence(d), 'offline');
});

test('a stopping agent\'s refusal gathered before its goodbye (it names no instance) does not show the node degraded', async () => {
  const bus = new TwinBus();
  const d = await started(bus, ['agent-a']);
  // Stopping, agent-a answers the next poll "shutting down"; its goodbye comes before that poll is applied.
  bus.answering = ['refusal'];
  await goodbyeDuringPoll(bus, d, 'agent-a');
  assert.equal(presence(d), 'offline');
});
