// A listener that throws (or rejects) is the application's bug: it must be seen, not lost, and must
// not stop the other listeners nor the process. It becomes an 'error' with code
// FSBUS_ERR_ESL_LISTENER naming the event, the thrown value as `cause`; unheard (no 'error'
// listener, or one that throws itself) it is a process warning, as the default logger is silent.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslError, type EslClient, type EslEvent } from '../src/index.js';
import { bounded, eventWhere } from './support/scripted-peer.js';
import { withSim } from './support/sim-inbound.js';

interface ListenerErrorShape {
  code: string;
  event: string;
  cause: unknown;
}

/** The next process warning whose code is the listener error's (Node emits 'warning' for emitWarning). */
function nextListenerWarning(): Promise<Error & ListenerErrorShape> {
  return new Promise((resolve) => {
    const onWarning = (w: Error): void => {
      if ((w as Partial<ListenerErrorShape>).code !== 'FSBUS_ERR_ESL_LISTENER') return;
      process.off('warning', onWarning);
      resolve(w as Error & ListenerErrorShape);
    };
    process.on('warning', onWarning);
  });
}

async function answerACall(client: EslClient): Promise<void> {
  await client.events('plain', ['CHANNEL_ANSWER']);
  await bounded(client.api('originate loopback/7001 &hangup()'), 'originate');
}

void test("sim: an event listener that throws → 'error' FSBUS_ERR_ESL_LISTENER naming the event, cause the thrown value; the next listener still runs", async () => {
  await withSim(async (_sim, client) => {
    const boom = new Error('listener boom');
    client.on('CHANNEL_ANSWER', () => {
      throw boom;
    });
    const later = eventWhere<EslEvent>(client, 'CHANNEL_ANSWER', () => true);
    const reported = eventWhere<Error>(client, 'error', () => true);
    await answerACall(client);
    const err = (await bounded(reported, "the 'error'")) as Error & ListenerErrorShape;
    assert.ok(err instanceof EslError, String(err));
    assert.equal(err.code, 'FSBUS_ERR_ESL_LISTENER');
    assert.equal(err.event, 'CHANNEL_ANSWER');
    assert.equal(err.cause, boom);
    assert.match(err.message, /CHANNEL_ANSWER.*listener boom/);
    await bounded(later, 'the listener after the throwing one');
  });
});

void test('sim: with no error listener, an async listener rejection is a process warning (not silent, not a crash)', async () => {
  await withSim(async (_sim, client) => {
    const warned = nextListenerWarning();
    client.on('event', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    await answerACall(client);
    const w = await bounded(warned, 'the process warning');
    assert.equal(w.event, 'event');
    assert.equal((w.cause as Error).message, 'async boom');
    assert.equal(await client.api('echo alive'), 'alive');
  });
});

void test('sim: an error listener that throws is a process warning too (its own throw as the cause)', async () => {
  await withSim(async (_sim, client) => {
    const warned = nextListenerWarning();
    client.on('CHANNEL_ANSWER', () => {
      throw new Error('boom');
    });
    client.on('error', () => {
      throw new Error('error listener boom');
    });
    await answerACall(client);
    const w = await bounded(warned, 'the process warning');
    assert.equal(w.event, 'error');
    assert.equal((w.cause as Error).message, 'error listener boom');
    assert.equal(await client.api('echo alive'), 'alive');
  });
});

void test('sim: an onChannel listener that throws names the event and the channel', async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CHANNEL_HANGUP']);
    const reported = eventWhere<Error>(client, 'error', () => true);
    const uuid = /^\+OK (\S+)/.exec(await bounded(client.api('originate loopback/7001 &park()'), 'originate'))?.[1];
    assert.ok(uuid !== undefined);
    client.onChannel(uuid, () => {
      throw new Error('channel boom');
    });
    await client.api(`uuid_kill ${uuid}`);
    const err = (await bounded(reported, "the 'error'")) as Error & ListenerErrorShape;
    assert.equal(err.code, 'FSBUS_ERR_ESL_LISTENER');
    assert.match(err.event, new RegExp(uuid));
    assert.equal((err.cause as Error).message, 'channel boom');
  });
});
