// Which of the agent's FreeSWITCH connections a log line is about: each ESL client's lines carry
// its role (`events`, or `command` with its `pool_index`) next to the host and port the client
// adds, whether the agent's logger has child() (pino) or is a plain object.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EslClientStatus, EslLogger } from '@fsbus/esl';
import { Simulator } from '@fsbus/sim';
import { poolOf2 } from './support/link-pool.js';

type Fields = Record<string, unknown>;

/** Records every line; with `child`, like pino: bindings in front of each line of the child. */
function recorder(lines: Array<{ msg: string; fields: Fields }>, withChild: boolean, bound: Fields = {}): EslLogger {
  const add = (fields: object, msg: string): void => void lines.push({ msg, fields: { ...bound, ...fields } });
  const logger: EslLogger = { debug: add, info: add, warn: add, error: add };
  return withChild ? { ...logger, child: (bindings: Fields) => recorder(lines, true, { ...bound, ...bindings }) } : logger;
}

for (const withChild of [false, true]) {
  void test(`every connection's "esl connection lost" line names its role, host and port (${withChild ? 'logger with child()' : 'plain logger object'})`, async () => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
    const { port } = await sim.start();
    const lines: Array<{ msg: string; fields: Fields }> = [];
    let disconnected = 0;
    let onAllLost!: () => void;
    const allLost = new Promise<void>((resolve) => (onAllLost = resolve));
    const { link, ready: up } = poolOf2(port, {
      logger: recorder(lines, withChild),
      onStatus: (_which, status: EslClientStatus) => {
        // The client logs the loss before it says 'disconnected'.
        if (status === 'disconnected' && ++disconnected === 3) onAllLost();
      },
    });
    try {
      link.start();
      await up;
      assert.equal(sim.control.dropConnections(), 3);
      await allLost;
      const lost = lines.filter((l) => l.msg === 'esl connection lost').map((l) => ({ role: l.fields['role'], pool_index: l.fields['pool_index'], host: l.fields['host'], port: l.fields['port'] }));
      const order = (l: { role: unknown; pool_index: unknown }): string => `${String(l.role)}${String(l.pool_index)}`;
      assert.deepEqual(lost.sort((a, b) => order(a).localeCompare(order(b))), [
        { role: 'command', pool_index: 0, host: '127.0.0.1', port },
        { role: 'command', pool_index: 1, host: '127.0.0.1', port },
        { role: 'events', pool_index: undefined, host: '127.0.0.1', port },
      ]);
    } finally {
      await link.close();
      await sim.stop();
    }
  });
}
