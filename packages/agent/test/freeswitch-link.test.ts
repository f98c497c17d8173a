// The command pool: a slow `api` on one connection never holds up an `api` on another.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { EslTimeoutError, silentLogger } from '@fsbus/esl';
import { Simulator } from '@fsbus/sim';
import { FreeSwitchLink } from '../src/freeswitch-link.js';

/** A link with two command connections (no events); `ready` once both and the event socket are up. */
function poolOf2(port: number): { link: FreeSwitchLink; ready: Promise<void> } {
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const link: FreeSwitchLink = new FreeSwitchLink({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    poolSize: 2,
    connectTimeoutMs: 2000,
    eventNames: [],
    logger: silentLogger,
    onEvent: () => undefined,
    onStatus: () => {
      if (link.ready && link.commandsReady === 2) readyResolve();
    },
    onReconnect: () => undefined,
  });
  return { link, ready };
}

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
