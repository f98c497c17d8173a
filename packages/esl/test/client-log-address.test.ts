// Every log line of a client's connection names the FreeSWITCH it is about (`host`, `port`): an
// application keeping several connections must tell from its log which one was lost. A logger
// with `child()` (pino) gets them bound once; a plain object gets them merged into each line.
// Against @fsbus/sim, which drops the connection from the server side.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslClient, type EslClientStatus, type EslLogger } from '../src/index.js';
import { bounded, eventWhere } from './support/scripted-peer.js';

interface Line {
  msg: string;
  fields: Record<string, unknown>;
}

/** A plain logger object (no child()), recording every line. */
function plainRecorder(lines: Line[]): EslLogger {
  const add = (fields: object, msg: string): void => void lines.push({ msg, fields: { ...fields } });
  return { debug: add, info: add, warn: add, error: add };
}

/** A logger with pino's child(): bindings recorded once per child, lines written with them in front. */
function childRecorder(lines: Line[], bindingsGiven: Array<Record<string, unknown>>, bound: Record<string, unknown> = {}): EslLogger {
  const add = (fields: object, msg: string): void => void lines.push({ msg, fields: { ...bound, ...fields } });
  return {
    debug: add,
    info: add,
    warn: add,
    error: add,
    child: (bindings) => {
      bindingsGiven.push(bindings);
      return childRecorder(lines, bindingsGiven, { ...bound, ...bindings });
    },
  };
}

const FAST = { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 };

/** Connects a client logging to `logger`, lets the simulator drop its connection, waits for the reconnect. */
async function loseOnce(logger: EslLogger): Promise<number> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const client = new EslClient({ host: '127.0.0.1', port, reconnect: FAST, logger });
  try {
    await client.connect();
    const back = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
    assert.ok(sim.control.dropConnections() >= 1);
    await bounded(back, 'the reconnect');
  } finally {
    await client.close();
    await sim.stop();
  }
  return port;
}

void test('sim: "esl connection lost" names the host and port, and so does every other line (plain logger object)', async () => {
  const lines: Line[] = [];
  const port = await loseOnce(plainRecorder(lines));
  const lost = lines.filter((l) => l.msg === 'esl connection lost');
  assert.equal(lost.length, 1, JSON.stringify(lines));
  assert.equal(lost[0]!.fields['host'], '127.0.0.1');
  assert.equal(lost[0]!.fields['port'], port);
  const without = lines.filter((l) => l.fields['host'] !== '127.0.0.1' || l.fields['port'] !== port);
  assert.deepEqual(without, [], 'lines without the address');
});

void test('sim: a logger with child() gets host and port bound once, not merged into each line', async () => {
  const lines: Line[] = [];
  const bindings: Array<Record<string, unknown>> = [];
  const port = await loseOnce(childRecorder(lines, bindings));
  assert.deepEqual(bindings, [{ host: '127.0.0.1', port }]);
  const lost = lines.filter((l) => l.msg === 'esl connection lost');
  assert.equal(lost.length, 1, JSON.stringify(lines));
  assert.equal(lost[0]!.fields['host'], '127.0.0.1');
  assert.equal(lost[0]!.fields['port'], port);
});
