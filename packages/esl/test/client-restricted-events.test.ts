// A userauth user whose esl-allowed-events leaves out what bgapi/execute subscribe to for their
// results: FreeSWITCH answers that `event` line `-ERR permission denied` (mod_event_socket's
// parse_command), and the call must say so at once instead of waiting for a result that cannot come.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator, type EslUser } from '@fsbus/sim';
import { EslClient, EslErrorCode, EslSubscriptionRefusedError } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';
import { originated } from './support/sim-inbound.js';

async function withUser(allowedEvents: readonly string[], fn: (client: EslClient) => Promise<void>): Promise<void> {
  const user: EslUser = { user: 'ro', domain: 'default', password: 'p', allowedApi: ['status', 'originate', 'uuid_kill'], allowedEvents };
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, users: [user] });
  const { port } = await sim.start();
  // requestTimeoutMs left at its default (30 s): `bounded` fails the test long before it.
  const client = new EslClient({ port, user: 'ro@default', password: 'p', reconnect: false });
  try {
    await client.connect();
    await fn(client);
  } finally {
    await client.close();
    await sim.stop();
  }
}

function refusal(event: string, unsent: boolean, text: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof EslSubscriptionRefusedError, `not an EslSubscriptionRefusedError: ${String(err)}`);
    assert.equal(err.code, EslErrorCode.SUBSCRIPTION_REFUSED);
    assert.equal(err.event, event);
    assert.equal(err.reply, '-ERR permission denied');
    assert.equal(err.unsent, unsent);
    assert.match(err.message, new RegExp(`${event}.*-ERR permission denied`));
    assert.match(err.message, /esl-allowed-events/);
    assert.match(err.message, text);
    return true;
  };
}

void test('bgapi: BACKGROUND_JOB refused rejects at once, then later bgapis fail without sending', async () => {
  await withUser(['CHANNEL_CREATE'], async (client) => {
    await assert.rejects(bounded(client.bgapi('status'), 'bgapi status'), refusal('BACKGROUND_JOB', false, /the job was started/));
    const sent = client.stats.requests;
    await assert.rejects(bounded(client.bgapi('status'), 'second bgapi status'), refusal('BACKGROUND_JOB', true, /not sent/));
    assert.equal(client.stats.requests, sent, 'the second bgapi sent nothing');
    // The connection goes on.
    assert.match(await client.api('status'), /is ready/);
  });
});

void test('bgapi: calls waiting on one refused subscription all hear of it', async () => {
  await withUser(['CHANNEL_CREATE'], async (client) => {
    const outcomes = await bounded(Promise.allSettled([client.bgapi('status'), client.bgapi('status')]), 'two bgapis');
    for (const o of outcomes) {
      assert.equal(o.status, 'rejected');
      refusal('BACKGROUND_JOB', false, /the job was started/)(o.reason);
    }
  });
});

void test('execute: CHANNEL_EXECUTE_COMPLETE refused rejects at once saying the application may run; later executes fail unsent', async () => {
  await withUser(['CHANNEL_CREATE'], async (client) => {
    const uuid = originated(await client.api('originate loopback/7001 &park()'));
    await assert.rejects(bounded(client.execute(uuid, 'answer'), 'execute answer'), refusal('CHANNEL_EXECUTE_COMPLETE', false, /sendmsg got \+OK: the application may still run/));
    const sent = client.stats.requests;
    await assert.rejects(bounded(client.execute(uuid, 'answer'), 'second execute answer'), refusal('CHANNEL_EXECUTE_COMPLETE', true, /not sent/));
    assert.equal(client.stats.requests, sent, 'the second execute sent nothing');
    await client.api(`uuid_kill ${uuid}`);
  });
});

void test('execute: only CHANNEL_HANGUP_COMPLETE refused still rejects (nothing would end the wait of an application that never runs)', async () => {
  await withUser(['CHANNEL_CREATE', 'CHANNEL_EXECUTE_COMPLETE'], async (client) => {
    const uuid = originated(await client.api('originate loopback/7001 &park()'));
    // Still running when the refusal is read (a completion already heard would be returned).
    await assert.rejects(bounded(client.execute(uuid, 'sleep', '60000'), 'execute sleep'), refusal('CHANNEL_HANGUP_COMPLETE', false, /the application may still run/));
    await assert.rejects(bounded(client.execute(uuid, 'answer'), 'execute answer'), refusal('CHANNEL_HANGUP_COMPLETE', true, /not sent/));
    await client.api(`uuid_kill ${uuid}`);
  });
});

void test('allowed results: bgapi and execute work for a restricted user allowed their events', async () => {
  await withUser(['CHANNEL_CREATE', 'BACKGROUND_JOB', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP_COMPLETE'], async (client) => {
    assert.match((await bounded(client.bgapi('status'), 'bgapi status')).body, /is ready/);
    const uuid = originated(await client.api('originate loopback/7001 &park()'));
    assert.equal((await bounded(client.execute(uuid, 'answer'), 'execute answer')).getHeader('Application'), 'answer');
    await client.api(`uuid_kill ${uuid}`);
  });
});
