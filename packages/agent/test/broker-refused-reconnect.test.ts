// The broker user's password was changed while the agent was away (RabbitMQ restarted after
// `rabbitmqctl change_password`): the agent said only `broker status "reconnecting"` and nothing
// more — no error line, no hint, fsbus_broker_errors_total 0, /readyz "broker reconnecting".
// Played with two brokers behind a relay: the reconnect reaches one that holds other credentials.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { startSwitchRelay } from '../../transport/test/support/switch-relay.js';
import { startedAgent } from './support/agent-process.js';
import { httpGet } from './support/http-get.js';

void test('RabbitMQ refusing the reconnect for the credentials: an error line with the hint, counted, and /readyz says why', { timeout: 240_000 }, async (t) => {
  // Both brokers at once (a RabbitMQ takes seconds to start), stopped together.
  const brokers = await Promise.allSettled([
    startRabbitMq({ user: { name: 'fsbus', password: 'right-pass' } }),
    startRabbitMq({ user: { name: 'fsbus', password: 'n3wpass' } }),
  ]);
  t.after(() => Promise.all(brokers.flatMap((b) => (b.status === 'fulfilled' ? [b.value.stop()] : []))));
  const [right, changed] = brokers.map((b) => {
    if (b.status === 'rejected') throw b.reason;
    return b.value;
  }) as [RabbitMqHandle, RabbitMqHandle];
  const relay = await startSwitchRelay(right.port);
  t.after(() => relay.close());
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const agent = await startedAgent('refused-again', `amqp://127.0.0.1:${relay.port}`, port, {
    FSBUS_BROKER_USER: 'fsbus',
    FSBUS_BROKER_PASSWORD: 'right-pass',
    FSBUS_METRICS: 'true',
    FSBUS_METRICS_HOST: '127.0.0.1',
    FSBUS_METRICS_PORT: '0',
  });
  t.after(async () => {
    agent.kill();
    await agent.exited;
  });
  const { metrics } = agent.logs.find((l) => l['msg'] === 'agent started') as { metrics: { port: number } };

  relay.switchTo(changed.port);
  const line = await agent.line((l) => l['msg'] === 'broker reported an error' && /ACCESS.REFUSED/.test(JSON.stringify(l['err'])), "'broker reported an error' (ACCESS_REFUSED)");
  assert.match(String(line['hint']), /^the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD /);
  // Written when it came, not held back as the summary line (`suppressed`) of the window the
  // link's drop (amqplib's `Unexpected close`, an error line of its own just before) opened: that
  // line came 10 s late.
  const errorLines = agent.logs.filter((l) => l['msg'] === 'broker reported an error').map((l) => ({ err: (l['err'] as { message?: string } | undefined)?.message, suppressed: l['suppressed'], time: l['time'] }));
  assert.equal(line['suppressed'], undefined, `the refusal was a held-back summary line: ${JSON.stringify(errorLines)}`);
  assert.ok(!JSON.stringify(agent.logs).includes('right-pass'), 'the password reached the log');
  const scraped = (await httpGet(metrics.port, '/metrics')).body;
  const errors = Number(/^fsbus_broker_errors_total\{[^}]*\} (\d+)/m.exec(scraped)?.[1]);
  assert.ok(errors >= 1, `fsbus_broker_errors_total ${errors}`);
  const ready = await httpGet(metrics.port, '/readyz');
  assert.equal(ready.status, 503);
  assert.match((JSON.parse(ready.body) as { reason: string }).reason, /^broker reconnecting: the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD/);

  // The password fixed (here: the broker that takes it again): the agent is back, /readyz no longer blames it.
  const seen = agent.logs.length;
  relay.switchTo(right.port);
  await agent.line((l) => agent.logs.indexOf(l) >= seen && l['msg'] === 'broker status' && l['status'] === 'connected', "'broker status' connected");
  const after = await httpGet(metrics.port, '/readyz');
  assert.doesNotMatch(after.body, /refused/, after.body);
});
