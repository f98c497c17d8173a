// An async listener's rejection is the listener's error, as a throw is: it reaches 'error' (or
// the log), never the process as an unhandled rejection — the docs' outbound example is an async
// 'session' listener.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { EslServer } from '../src/index.js';
import { TypedEmitter } from '../src/typed-emitter.js';
import { bounded, nextEvent } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

void test('TypedEmitter: a listener returning a rejected promise (on or once) goes to the listener-error hook', async () => {
  const errors: Array<[unknown, string]> = [];
  let bothIn!: () => void;
  const both = new Promise<void>((resolve) => (bothIn = resolve));
  class Emitter extends TypedEmitter<{ ping: [number] }> {
    constructor() {
      super();
      this.setListenerErrorHandler((err, event) => {
        errors.push([err, event]);
        if (errors.length === 2) bothIn();
      });
    }
    fire(n: number): boolean {
      return this.emit('ping', n);
    }
  }
  const e = new Emitter();
  e.on('ping', async (n) => {
    await Promise.resolve();
    throw new Error(`on ${n}`);
  });
  e.once('ping', (n) => Promise.reject(new Error(`once ${n}`)));
  assert.equal(e.fire(1), true);
  await bounded(both, 'both rejections');
  assert.deepEqual(errors.map(([err, event]) => [(err as Error).message, event]).sort(), [['on 1', 'ping'], ['once 1', 'ping']]);
  assert.equal(e.listenerCount('ping'), 1);
});

void test("EslServer: an async 'session' listener that throws reaches the server's 'error' (the rejection as its cause)", async () => {
  let serverError: Promise<[Error]> | undefined;
  const prepare = (server: EslServer): void => {
    serverError = nextEvent<[Error]>(server, 'error');
    server.on('session', async () => {
      await Promise.resolve();
      throw new Error('the handler failed');
    });
  };
  await withDialplanSession('async full', async () => {
    const [err] = await bounded(serverError!, "the server's 'error'");
    assert.equal((err.cause as Error).message, 'the handler failed');
  }, {}, prepare);
});

void test("EslSession: an async listener's rejection (by name, by channel) reaches the session's 'error'", async () => {
  await withDialplanSession('async full', async ({ session }) => {
    const sessionErrors: string[] = [];
    const twoErrors = new Promise<void>((resolve) => {
      session.on('error', (e) => {
        sessionErrors.push((e.cause as Error).message);
        if (sessionErrors.length === 2) resolve();
      });
    });
    session.on('CHANNEL_EXECUTE_COMPLETE', async () => Promise.reject(new Error('by name')));
    session.onChannel(session.uuid, async (e) => {
      if (e.name === 'CHANNEL_EXECUTE_COMPLETE') throw new Error('by channel');
    });
    await session.myevents();
    await bounded(session.set('fsbus_x', '1'), 'set');
    await bounded(twoErrors, "the session's 'error's");
    assert.deepEqual(sessionErrors.sort(), ['by channel', 'by name']);
    await session.close();
  });
});
