// fsbus::agent_start comes before every FreeSWITCH event of its agent process. Consumers bound an
// agent restart's gap from the last event they had of that node to agent_start: FreeSWITCH events
// the new process published first (its event link is up before the agent is ready: lanes joining,
// the command connections) moved "the last event" into the new session, and the window shrank to
// milliseconds while the calls of the whole outage were missing. Real nats-server, simulator
// (a HEARTBEAT every few ms, so events flow while the agent starts) and agent.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import type { EventPayload } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { dec, until } from './support/cluster.js';

void test("agent_start is the first event a subscriber gets of a starting agent, FreeSWITCH's events flowing meanwhile", async (t) => {
  const nats = await startNatsServer({ jetstream: false });
  t.after(() => nats.stop());
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 5 });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  sim.control.setReplyLatency(50);
  const watcher = await createDriver('nats', { urls: [nats.url], name: 'start-watcher' });
  await watcher.connect();
  t.after(() => watcher.close());
  const got: EventPayload[] = [];
  let heartbeats: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (heartbeats = resolve));
  watcher.subscribe('freeswitch.events.>', (m) => {
    const e = JSON.parse(dec(m.data)) as EventPayload;
    got.push(e);
    if (got.filter((g) => g.event_name === 'HEARTBEAT').length >= 3) heartbeats();
  });
  await watcher.flush();
  const config = loadConfig({
    values: { driver: 'nats', node_id: 'node-1', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } },
    env: {},
  });
  const agent = new Agent(config, { logger: pino({ level: 'warn' }, new Writable({ write: (_c, _e, cb) => cb() })) });
  t.after(() => agent.stop());
  await agent.start();
  await until(agent, () => agent.ready, 'agent ready');
  await enough;
  const first = got[0]!;
  assert.equal(first.event_name, 'CUSTOM', `first: ${first.event_name}`);
  assert.equal(first.headers['Event-Subclass'], 'fsbus::agent_start');
  assert.equal(got.filter((e) => e.headers['Event-Subclass'] === 'fsbus::agent_start').length, 1, 'once');
});
