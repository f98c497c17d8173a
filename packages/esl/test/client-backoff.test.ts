import { strict as assert } from 'node:assert';
import { test, type TestContext } from 'node:test';
import { EslClient, type EslLogger } from '../src/index.js';
import { bounded, ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

interface Recorder {
  logger: EslLogger;
  lines: Line[];
  waitFor(pred: (lines: Line[]) => boolean): Promise<void>;
}

/** Records every line; `waitFor` resolves once `pred` holds for the lines so far. */
function recordingLogger(): Recorder {
  const lines: Line[] = [];
  const waiters: Array<{ pred: (lines: Line[]) => boolean; resolve: () => void }> = [];
  const add = (level: Line['level']) => (fields: object, msg: string) => {
    lines.push({ level, msg, fields: fields as Record<string, unknown> });
    for (const w of [...waiters]) {
      if (!w.pred(lines)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  return {
    logger: { debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') },
    lines,
    waitFor: (pred) => (pred(lines) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pred, resolve }))),
  };
}

/** The delay of each reconnect the client scheduled, in order (whichever line announced it). */
function delays(lines: Line[]): unknown[] {
  return lines.filter((l) => 'retry_in_ms' in l.fields).map((l) => l.fields['retry_in_ms']);
}

/** Accepts auth and the subscription, then — while `breaking()` — a frame that loses the framing (the reviewer's peer). */
function breakAfterSubscribe(breaking: () => boolean): (cmd: ReceivedCommand, conn: PeerConn) => void {
  return (cmd, conn) => {
    if (cmd.line === 'exit') {
      conn.reply('+OK bye');
      conn.end();
      return;
    }
    conn.reply(cmd.line.startsWith('event ') ? '+OK event listener enabled json' : '+OK');
    if (cmd.line.startsWith('event ') && breaking()) conn.write('Content-Length: zz\n\n');
  };
}

type OnCommand = (cmd: ReceivedCommand, conn: PeerConn, peer: ScriptedPeer) => void;

/**
 * A peer answering with `onCommand`, and a client connected to it that logs to a recorder and
 * reconnects after 1 ms, doubling up to `maxDelayMs`, without jitter; both closed after the test.
 */
async function connectedClient(t: TestContext, maxDelayMs: number, onCommand: OnCommand): Promise<{ peer: ScriptedPeer; client: EslClient; log: Recorder }> {
  const peer: ScriptedPeer = await ScriptedPeer.start({ onCommand: (cmd, conn) => onCommand(cmd, conn, peer) });
  t.after(() => peer.close());
  const log = recordingLogger();
  const client = new EslClient({ port: peer.port, reconnect: { initialDelayMs: 1, maxDelayMs, jitter: 0 }, logger: log.logger });
  t.after(() => client.close());
  client.on('error', () => undefined);
  await client.connect();
  return { peer, client, log };
}

void test('a connection that dies right after each reconnect: the delay keeps growing; one log line per loss, without a stack', async (t) => {
  // maxDelayMs far beyond the test: no connection here can stay up long enough to count as stable.
  const { peer, client, log } = await connectedClient(t, 60_000, breakAfterSubscribe(() => true));
  await client.events('json', ['ALL']).catch(() => undefined); // its reply may race the bad frame's close
  await bounded(
    log.waitFor((lines) => delays(lines).length >= 5),
    'five scheduled reconnects',
  );
  await client.close();
  assert.deepEqual(delays(log.lines).slice(0, 5), [1, 2, 4, 8, 16]);
  assert.ok(client.stats.protocolErrors >= 5);
  // The reason is in the line that reports the loss; no second line carries the error (with its stack).
  const warned = log.lines.filter((l) => l.level !== 'debug');
  assert.ok(warned.every((l) => l.msg === 'esl connection lost' || l.msg === 'esl reconnect failed'), JSON.stringify(warned.map((l) => l.msg)));
  const lost = warned.find((l) => l.msg === 'esl connection lost');
  assert.ok(lost !== undefined);
  assert.equal(lost.fields['err'], undefined);
  assert.equal(lost.fields['code'], 'FSBUS_ERR_ESL_PROTOCOL');
  assert.match(String(lost.fields['reason']), /Content-Length/);
  await peer.close();
});

void test('a connection that stayed up for maxDelayMs resets the backoff: the next loss is retried after initialDelayMs again', async (t) => {
  let breaking = true;
  const { peer, client, log } = await connectedClient(t, 20, breakAfterSubscribe(() => breaking));
  // The first connection dies at once (attempt 0 → 1 ms); the reconnect after it stays up.
  const stable = log.waitFor((lines) => lines.some((l) => l.msg === 'esl connection stable, reconnect backoff reset'));
  await client.events('json', ['ALL']).catch(() => undefined);
  await bounded(
    log.waitFor((lines) => delays(lines).length >= 1),
    'the first reconnect',
  );
  breaking = false;
  await bounded(stable, 'the reconnected connection to count as stable');
  assert.equal(client.status, 'ready');
  const second = peer.connections.at(-1)!;
  second.destroy();
  await bounded(
    log.waitFor((lines) => delays(lines).length >= 2),
    'the reconnect after the stable connection',
  );
  // Without the reset the second delay would be 2 (attempt 1).
  assert.deepEqual(delays(log.lines), [1, 1]);
  await client.close();
  await peer.close();
});

void test('a connection lost while re-applying the subscription: one "esl reconnect failed" line naming the protocol error, none per re-applied command', async (t) => {
  const { peer, client, log } = await connectedClient(t, 60_000, (cmd, conn, self) => {
    if (conn === self.connections[0] || !cmd.line.startsWith('event ')) conn.reply('+OK');
    else conn.write('Content-Length: zz\n\n'); // instead of the reply: the re-apply is cut short
  });
  const failed: Array<[Error, number, number]> = [];
  client.on('reconnect-failed', (...args) => failed.push(args));
  await client.events('json', ['ALL']);
  await client.filter('Unique-ID', 'abc');
  await client.log('debug');
  peer.connections[0]!.destroy();
  await bounded(
    log.waitFor((lines) => delays(lines).length >= 4),
    'four scheduled reconnects',
  );
  await client.close();
  assert.deepEqual(delays(log.lines).slice(0, 4), [1, 2, 4, 8]);
  const warned = log.lines.filter((l) => l.level !== 'debug').slice(0, 4);
  assert.deepEqual(warned.map((l) => l.msg), ['esl connection lost', 'esl reconnect failed', 'esl reconnect failed', 'esl reconnect failed']);
  // The line says why, with the cause, and no stack (it repeats until FreeSWITCH is back).
  const line = warned[1]!.fields;
  assert.equal(line['err'], undefined);
  assert.match(String(line['reason']), /re-applying.*Content-Length/);
  assert.deepEqual([line['attempt'], line['retry_in_ms']], [1, 2]);
  // The event carries the Error itself, for an application that logs these its own way.
  const [err, attempt, retryInMs] = failed[0]!;
  assert.match(err.message, /re-applying/);
  assert.match(String((err.cause as Error | undefined)?.message), /Content-Length/);
  assert.deepEqual([attempt, retryInMs], [1, 2]);
  await peer.close();
});
