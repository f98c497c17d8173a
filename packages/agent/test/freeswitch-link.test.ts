// The command pool: a slow `api` on one connection never holds up an `api` sent after it; the
// commands of one event-loop turn go out together on one connection.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EslTimeoutError } from '@fsbus/esl';
import { Simulator } from '@fsbus/sim';
import type { FreeSwitchLink } from '../src/freeswitch-link.js';
import { poolOf2 } from './support/link-pool.js';

void test('a slow api does not hold up the others; the first connect is retried until FreeSWITCH is there', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  // FreeSWITCH is down when the link starts.
  await sim.control.stopListener();
  const { link, ready } = poolOf2(port);
  try {
    link.start();
    assert.equal(await link.api('version', { timeoutMs: 1000 }), undefined, 'no connection yet: undefined, not a hang');
    await sim.control.startListener();
    await ready;
    sim.core.control.setEndpointBehavior('user/slow', { answer: 'answer', delayMs: 1500 });
    let slowDone = false;
    const slow = link.api('originate user/slow &park()', { timeoutMs: 10_000 }).then((r) => {
      slowDone = true;
      return r;
    });
    await nextTurn(); // a command sent in the same turn would share its connection (next test)
    for (let i = 0; i < 5; i++) {
      assert.match((await link.api('version', { timeoutMs: 5000 })) ?? '', /^FreeSWITCH Version/);
      assert.equal(slowDone, false, 'a fast api waited for the slow one');
    }
    assert.match((await slow) ?? '', /^\+OK/);
  } finally {
    await link.close();
    await sim.stop();
  }
});

void test('an api that timed out here keeps its connection counted until FreeSWITCH answers it', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const { link, ready } = poolOf2(port);
  try {
    link.start();
    await ready;
    assert.deepEqual(link.pending, [0, 0]);
    // FreeSWITCH runs this for a minute; the agent gives up long before.
    sim.core.control.setEndpointBehavior('user/slow', { answer: 'answer', delayMs: 60_000 });
    await assert.rejects(link.api('originate user/slow &park()', { timeoutMs: 100 }), EslTimeoutError);
    assert.deepEqual([...link.pending].sort(), [0, 1], 'the timed-out request still holds its connection');
    for (let i = 0; i < 3; i++) {
      assert.match((await link.api('version', { timeoutMs: 5000 })) ?? '', /^FreeSWITCH Version/);
      // Its reply has not come: the fast api did not queue behind it.
      assert.deepEqual([...link.pending].sort(), [0, 1]);
    }
  } finally {
    await link.close();
    await sim.stop();
  }
});

void test('the commands of one turn share a connection, up to turnBatch; the next turn starts on the least busy', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const batched = poolOf2(port, { turnBatch: 4 });
  const spread = poolOf2(port, { turnBatch: 1 });
  const capped = poolOf2(port, { turnBatch: 16, maxPending: 2 });
  const versions = (link: FreeSwitchLink, n: number) => Promise.all(Array.from({ length: n }, () => link.api('version', { timeoutMs: 5000 })));
  try {
    for (const { link } of [batched, spread, capped]) link.start();
    await Promise.all([batched.ready, spread.ready, capped.ready]);

    const first = versions(batched.link, 5);
    assert.deepEqual(batched.link.pending, [4, 1], 'four on the first connection, the rest on the least busy');
    for (const r of await first) assert.match(r ?? '', /^FreeSWITCH Version/);
    // One read's requests handed over one per nextTick (mqtt.js) are one turn too.
    const byTick = await new Promise<Array<Promise<string | undefined>>>((resolve) => {
      const sent: Array<Promise<string | undefined>> = [];
      const step = (): void => {
        sent.push(batched.link.api('version', { timeoutMs: 5000 }));
        if (sent.length < 5) process.nextTick(step);
        else resolve(sent);
      };
      process.nextTick(step);
    });
    assert.deepEqual(batched.link.pending, [4, 1], 'commands handed over one per nextTick share the turn');
    for (const r of await Promise.all(byTick)) assert.match(r ?? '', /^FreeSWITCH Version/);
    // A slow command holds its connection; the next turn's commands go to the other one.
    sim.core.control.setEndpointBehavior('user/slow', { answer: 'answer', delayMs: 60_000 });
    const slow = batched.link.api('originate user/slow &park()', { timeoutMs: 100 }).catch((err: unknown) => err);
    await nextTurn();
    const second = versions(batched.link, 2);
    assert.deepEqual([...batched.link.pending].sort(), [1, 2]);
    for (const r of await second) assert.match(r ?? '', /^FreeSWITCH Version/);
    assert.ok((await slow) instanceof EslTimeoutError);

    const spreadOut = versions(spread.link, 4);
    assert.deepEqual(spread.link.pending, [2, 2], 'turnBatch 1: each command to the least busy connection');
    await spreadOut;

    const full = versions(capped.link, 4);
    assert.deepEqual(capped.link.pending, [2, 2], 'a connection at maxPending takes no more of the turn');
    for (const r of await full) assert.match(r ?? '', /^FreeSWITCH Version/);
  } finally {
    await Promise.all([batched, spread, capped].map(({ link }) => link.close()));
    await sim.stop();
  }
});
