// Events from simulated FreeSWITCH to NATS: subjects, shape, filtering, counts through an ESL
// drop and a nats-server restart, JetStream replay.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import type { DurableMessage, InboundMessage } from '@fsbus/transport';
import { dec, driverConnected, emitCustom, eslTo, startCluster, until } from './support/cluster.js';

/** Collects messages; `until(n)` resolves once n arrived. */
class Inbox<T> {
  readonly items: T[] = [];
  #waiters: Array<[number, () => void]> = [];
  push = (item: T): void => {
    this.items.push(item);
    this.#matchers = this.#matchers.filter((m) => !m(item));
    this.#waiters = this.#waiters.filter(([n, resolve]) => (this.items.length >= n ? (resolve(), false) : true));
  };
  /** Resolves with the first item (seen or to come) matching `pred`. */
  waitFor(pred: (item: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never got ${what}`)), timeoutMs);
      this.#matchers.push((item) => {
        if (!pred(item)) return false;
        clearTimeout(timer);
        resolve(item);
        return true;
      });
    });
  }
  #matchers: Array<(item: T) => boolean> = [];
  until(n: number, timeoutMs = 15_000): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${this.items.length} of ${n}`)), timeoutMs);
      this.#waiters.push([n, () => (clearTimeout(timer), resolve(this.items))]);
    });
  }
}

const payload = (m: InboundMessage) => JSON.parse(dec(m.data)) as EventPayload;
/**
 * Not one of the agent's own events (agent_start, events_resumed, events_dropped…): those pass any
 * events.include list (docs/contract.md "Events"), so they are among what a stream keeps.
 */
const fromFreeSwitch = (m: InboundMessage) => payload(m).headers['FSBus-Node-ID'] === undefined;

void test('subject mapping and payload shape', async () => {
  const cluster = await startCluster();
  try {
    const inbox = new Inbox<InboundMessage>();
    const sub = cluster.client.subscribe('freeswitch.events.>', inbox.push);
    await cluster.client.flush();
    const esl = await eslTo(cluster.nodes[0]!.sim);
    await emitCustom(esl, 'sofia::register', 1);
    const [m] = await inbox.until(1);
    assert.equal(m!.subject, 'freeswitch.events.custom.sofia.register');
    const p = payload(m!);
    assert.deepEqual(Object.keys(p).slice(0, 3), ['event_name', 'timestamp', 'node_id']);
    assert.equal(p.event_name, 'CUSTOM');
    assert.equal(p.node_id, 'node-1');
    assert.equal(p.headers['Event-Subclass'], 'sofia::register');
    assert.equal(p.timestamp, Number(p.headers['Event-Date-Timestamp']));

    // A call: CHANNEL_EXECUTE_COMPLETE and friends on their dotted subjects, with the channel uuid.
    const o = await cluster.request(cluster.nodes[0]!.agent.subjects.node('node-1'), '{"command":"originate","endpoint":"loopback/7001","extension":"7001"}');
    assert.equal(o.success, true, JSON.stringify(o));
    const uuid = (o.data as { uuid: string }).uuid;
    await cluster.request('freeswitch.node.node-1', JSON.stringify({ command: 'hangup', uuid }));
    const find = (subject: string) => inbox.items.find((x) => x.subject === subject && payload(x).uuid === uuid);
    await inbox.waitFor((x) => x.subject === 'freeswitch.events.channel.hangup.complete' && payload(x).uuid === uuid, 'CHANNEL_HANGUP_COMPLETE');
    for (const s of ['channel.create', 'channel.answer', 'channel.execute', 'channel.execute.complete', 'channel.hangup', 'channel.hangup.complete']) {
      assert.ok(find(`freeswitch.events.${s}`) !== undefined, `no ${s} for the call`);
    }
    const exec = payload(find('freeswitch.events.channel.execute.complete')!);
    assert.equal(exec.event_name, 'CHANNEL_EXECUTE_COMPLETE');
    await sub.unsubscribe();
    await esl.close();
  } finally {
    await cluster.stop();
  }
});

void test('include/exclude: FreeSWITCH is asked only for what is published; exclude wins', async () => {
  const cluster = await startCluster({ config: { events: { include: ['CUSTOM::fsbus::a', 'CUSTOM::fsbus::b'], exclude: ['CUSTOM::fsbus::b'] } } });
  try {
    const inbox = new Inbox<InboundMessage>();
    const sub = cluster.client.subscribe('freeswitch.events.>', inbox.push);
    await cluster.client.flush();
    const esl = await eslTo(cluster.nodes[0]!.sim);
    await emitCustom(esl, 'fsbus::b', 2);
    await emitCustom(esl, 'fsbus::c', 2);
    await emitCustom(esl, 'fsbus::a', 3);
    // Events arrive in order: had b or c been published, they would be here before the third a.
    const got = await inbox.until(3);
    assert.deepEqual(got.map((m) => m.subject), Array(3).fill('freeswitch.events.custom.fsbus.a'));
    const counters = cluster.nodes[0]!.agent.status()['counters'] as { events_received: number; events_published: number };
    // FreeSWITCH sent only the subscribed subclass: b and c never reached the agent. Published:
    // the three, and the agent's own agent_start, which an include list does not filter out.
    assert.equal(counters.events_received, 3);
    assert.equal(counters.events_published, 4);
    await sub.unsubscribe();
    await esl.close();
  } finally {
    await cluster.stop();
  }
});

void test('N events generated = N published, through an ESL drop and a nats-server restart', async () => {
  const cluster = await startCluster({ jetstream: true, config: { events: { include: ['CUSTOM::fsbus::count'], stream: { enabled: true } } } });
  const node = cluster.nodes[0]!;
  const agent = node.agent;
  try {
    const live = new Inbox<InboundMessage>();
    // The test's own events only: the agent's (events_resumed after the ESL drop) would count toward
    // the 40, and the flush below could then come before the agent had sent the fortieth.
    const sub = cluster.client.subscribe('freeswitch.events.custom.fsbus.count', live.push);
    await cluster.client.flush();
    let esl = await eslTo(node.sim);
    await emitCustom(esl, 'fsbus::count', 20, 0);
    await live.until(20);

    // FreeSWITCH drops every Event Socket connection; the agent reconnects and re-subscribes.
    await esl.close();
    node.sim.control.dropConnections();
    await until(agent, () => !agent.ready, 'ESL drop seen');
    await until(agent, () => agent.ready, 'ESL back');
    esl = await eslTo(node.sim);
    await emitCustom(esl, 'fsbus::count', 20, 20);
    await live.until(40);

    // The broker goes away: events are buffered (within the bound), then delivered. First what was
    // sent is confirmed (a PONG): unconfirmed when the connection goes, it would be told as possibly lost.
    await agent.driver!.flush();
    await cluster.nats.halt();
    await until(agent, () => agent.brokerStatus === 'reconnecting', 'broker loss seen');
    await emitCustom(esl, 'fsbus::count', 15, 40);
    await until(agent, () => (agent.status()['counters'] as { events_buffered: number }).events_buffered === 15, '15 events buffered', 15_000);
    await cluster.nats.start();
    await until(agent, () => agent.brokerStatus === 'connected', 'broker back');
    await agent.driver!.flush();
    await driverConnected(cluster.client);
    const stored = new Inbox<DurableMessage>();
    let own = 0;
    const replay = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', from: 'all' }, (m) => (fromFreeSwitch(m) ? stored.push(m) : own++));
    const all = await stored.until(55);
    assert.deepEqual(
      all.map((m) => Number(payload(m).headers['Seq'])),
      Array.from({ length: 55 }, (_, i) => i),
    );
    const c = agent.status()['counters'] as { events_published: number; events_dropped: number };
    // The 55 and the agent's own (agent_start, events_resumed of the ESL drop), stored before the last.
    assert.ok(own >= 2, `${own} of the agent's own events stored`);
    assert.equal(c.events_published - own, 55);
    assert.equal(c.events_dropped, 0);
    await replay.unsubscribe();
    await sub.unsubscribe();
    await esl.close();
  } finally {
    await cluster.stop();
  }
});

void test('the outgoing buffer is bounded and counts what it drops', async () => {
  const cluster = await startCluster({ jetstream: true, config: { broker: { buffer_messages: 5 }, events: { include: ['CUSTOM::fsbus::bound'], stream: { enabled: true } } } });
  const agent = cluster.nodes[0]!.agent;
  try {
    const esl = await eslTo(cluster.nodes[0]!.sim);
    // The agent_start it sent is confirmed: unconfirmed when the connection goes, it would count as dropped.
    await agent.driver!.flush();
    await cluster.nats.halt();
    await until(agent, () => agent.brokerStatus === 'reconnecting', 'broker loss seen');
    await emitCustom(esl, 'fsbus::bound', 8);
    await until(agent, () => (agent.status()['counters'] as { events_received: number }).events_received === 8, '8 events received');
    assert.equal((agent.status()['counters'] as { events_dropped: number }).events_dropped, 3);
    await cluster.nats.start();
    await until(agent, () => agent.brokerStatus === 'connected', 'broker back');
    await agent.driver!.flush();
    await driverConnected(cluster.client);
    const stored = new Inbox<DurableMessage>();
    const replay = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', from: 'all' }, (m) => fromFreeSwitch(m) && stored.push(m));
    // The oldest were dropped: the 5 newest are kept.
    assert.deepEqual((await stored.until(5)).map((m) => Number(payload(m).headers['Seq'])), [3, 4, 5, 6, 7]);
    const metrics = await agent.metrics.registry.metrics();
    assert.match(metrics, /fsbus_events_dropped_total\{node_id="node-1"\} 3/);
    await replay.unsubscribe();
    await esl.close();
  } finally {
    await cluster.stop();
  }
});

void test('JetStream replay: a durable consumer that was offline gets what it missed', async () => {
  const cluster = await startCluster({ jetstream: true, config: { events: { include: ['CUSTOM::fsbus::replay'], stream: { enabled: true, max_age_ms: 3_600_000 } } } });
  try {
    const esl = await eslTo(cluster.nodes[0]!.sim);
    const first = new Inbox<DurableMessage>();
    const c1 = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', durable: 'billing', from: 'all' }, (m) => {
      if (fromFreeSwitch(m)) first.push(m);
      m.ack();
    });
    await emitCustom(esl, 'fsbus::replay', 5, 0);
    await first.until(5);
    await c1.unsubscribe();
    // The consumer is offline while these happen.
    await emitCustom(esl, 'fsbus::replay', 7, 5);
    const live = new Inbox<InboundMessage>();
    const witness = cluster.client.subscribe('freeswitch.events.custom.fsbus.replay', live.push);
    await cluster.client.flush();
    await emitCustom(esl, 'fsbus::replay', 1, 12);
    await live.until(1);
    const second = new Inbox<DurableMessage>();
    const c2 = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', durable: 'billing' }, (m) => {
      second.push(m);
      m.ack();
    });
    assert.deepEqual((await second.until(8)).map((m) => Number(payload(m).headers['Seq'])), [5, 6, 7, 8, 9, 10, 11, 12]);
    await c2.unsubscribe();
    await witness.unsubscribe();
    await esl.close();
  } finally {
    await cluster.stop();
  }
});
