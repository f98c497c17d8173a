// A clean stop tells every execute_app still waiting for its completion: forward_to gets one
// FSBUS_ERR_BUS_SHUTTING_DOWN envelope instead of nothing (the SDK's `complete` would otherwise wait
// out completeTimeoutMs while a restarted agent, which has no record of the wait, publishes the
// completion on the event subject only). A completion that arrives while the stop drains is
// forwarded as usual and not followed by that envelope.
// Real nats-server, simulator and agent; "nothing more arrived" is known by a marker published
// after the stop on the same subject (the server delivers in order), never by waiting.
import { describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { BusErrorCode, type EventPayload, type ReplyEnvelope } from '@fsbus/contract';
import { ExecuteAppMessage, ExecuteCompletions, type WatchEnd } from '@fsbus/agent';
import { EslEvent } from '@fsbus/esl';
import { startRig, type Inbox, type Rig } from './call-control-harness.js';
import { until } from './support/cluster.js';

const MARKER = '{"marker":true}';
const PAGD_ARGS = '4 4 3 30000 # a.wav b.wav pin \\d{4}';

/** An answered channel sitting in park. */
async function parkedCall(rig: Rig): Promise<string> {
  rig.sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
  const uuid = randomUUID();
  const r = await rig.request({ command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid });
  assert.equal(r.success, true, JSON.stringify(r));
  await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'the channel parked');
  return uuid;
}

/** Dispatches play_and_get_digits (waits for the caller's digits) with forward_to; returns its inbox once the dispatch copy arrived. */
async function collectDigits(rig: Rig, uuid: string, forwardTo: string, correlationId: string): Promise<{ box: Inbox; dispatched: ReplyEnvelope }> {
  const box = await rig.inbox(forwardTo);
  const dispatched = await rig.request({ command: 'execute_app', uuid, app: 'play_and_get_digits', args: PAGD_ARGS, forward_to: forwardTo, correlation_id: correlationId });
  assert.equal(dispatched.success, true, JSON.stringify(dispatched));
  await box.count(1);
  return { box, dispatched };
}

/** Everything forward_to got after the dispatch copy, up to a marker published after the stop. */
async function afterDispatch(rig: Rig, box: Inbox, forwardTo: string): Promise<string[]> {
  const seen = box.messages.length;
  rig.client.publish(forwardTo, new TextEncoder().encode(MARKER));
  await rig.client.flush();
  const all = await box.count(seen + 1);
  return all.slice(1, -1);
}

async function forwardsSent(rig: Rig): Promise<number> {
  const { values } = await rig.agent.metrics.forwardTo.get();
  return values.find((v) => v.labels['result'] === 'sent')?.value ?? 0;
}

void describe('execute_app completions pending when the agent stops (agent over NATS, simulator)', () => {
  void test('a clean stop tells forward_to: one FSBUS_ERR_BUS_SHUTTING_DOWN envelope naming the application', async () => {
    const rig = await startRig();
    try {
      const uuid = await parkedCall(rig);
      const forwardTo = 'cc.exec.shutdown';
      const { box, dispatched } = await collectDigits(rig, uuid, forwardTo, 'corr-shutdown');
      const sentBefore = await forwardsSent(rig);
      await rig.agent.stop();
      const got = await afterDispatch(rig, box, forwardTo);
      assert.equal(got.length, 1, `forward_to after the stop: ${JSON.stringify(got)}`);
      const told = JSON.parse(got[0]!) as ReplyEnvelope;
      assert.equal(told.success, false);
      assert.equal(told.code, BusErrorCode.SHUTTING_DOWN);
      assert.equal(told.message, ExecuteAppMessage.SHUTTING_DOWN);
      assert.equal(told.node_id, 'cc-1');
      assert.equal(told.correlation_id, 'corr-shutdown');
      assert.deepEqual(told.data, dispatched.data, 'data = {application_uuid, uuid, app}');
      assert.equal(await forwardsSent(rig), sentBefore + 1, 'counted as a forward_to publication');
    } finally {
      await rig.stop();
    }
  });

  void test('a completion that arrives while the stop drains is forwarded, and not followed by SHUTTING_DOWN', async () => {
    // Drain bounded far beyond the test: only the held command's end lets the stop go on.
    const rig = await startRig({ commands: { drain_timeout_ms: 600_000 } });
    try {
      const uuid = await parkedCall(rig);
      const forwardTo = 'cc.exec.drain';
      const { box, dispatched } = await collectDigits(rig, uuid, forwardTo, 'corr-drain');
      // An originate that rings until hung up holds the drain.
      rig.sim.core.control.setEndpointBehavior('user/held', { answer: 'no-answer' });
      const held = rig.request({ command: 'originate', endpoint: 'user/held', extension: '&park()' }, 600_000).catch((err: unknown) => err);
      const agent = rig.agent;
      await until(agent, () => (agent.status()['counters'] as { in_flight: number }).in_flight === 1, 'the held originate in flight');
      let stopped = false;
      const stopping = agent.stop().then(() => (stopped = true));
      assert.equal(rig.sim.core.control.sendDigits(uuid, '4321'), true);
      const [, second] = await box.count(2);
      assert.equal(stopped, false, 'the completion came while the stop was draining');
      const completion = JSON.parse(second!) as EventPayload;
      assert.equal(completion.event_name, 'CHANNEL_EXECUTE_COMPLETE');
      assert.equal(completion.headers['Application-UUID'], (dispatched.data as { application_uuid: string }).application_uuid);
      assert.equal(completion.headers['variable_pin'], '4321');
      // Ends the held originate (and the parked call): the drain is over, the stop goes on.
      rig.sim.core.control.hupall();
      await stopping;
      await held;
      const got = await afterDispatch(rig, box, forwardTo);
      assert.deepEqual(got.map((m) => (JSON.parse(m) as { event_name?: string }).event_name), ['CHANNEL_EXECUTE_COMPLETE'], JSON.stringify(got));
    } finally {
      await rig.stop();
    }
  });
});

void test('ExecuteCompletions.close: pending watches told once (shutdown), a completed one not, a later one at once', () => {
  const c = new ExecuteCompletions();
  const heard: Array<[string, WatchEnd | 'complete']> = [];
  const watch = (app: string): void => {
    c.watch(app, `ch-${app}`, () => heard.push([app, 'complete']), (end) => heard.push([app, end]));
  };
  watch('a1');
  watch('a2');
  const done = EslEvent.create('CHANNEL_EXECUTE_COMPLETE');
  done.addHeader('Unique-ID', 'ch-a1');
  done.addHeader('Application-UUID', 'a1');
  c.onEvent(done);
  assert.equal(c.close(), 1);
  assert.equal(c.pending, 0);
  // A command still running past the drain: its watch cannot wait for anyone to end it.
  watch('a3');
  assert.equal(c.pending, 0);
  assert.deepEqual(heard, [['a1', 'complete'], ['a2', 'shutdown'], ['a3', 'shutdown']]);
});
