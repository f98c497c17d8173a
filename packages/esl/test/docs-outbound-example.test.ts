// docs/esl.md's outbound example, kept in step with support/outbound-example.ts and run against
// @fsbus/sim with the dialplan line the docs give (`socket 127.0.0.1:<port> async full`): the
// session it serves ends closed whether the caller hangs up during the bridge or before it, and
// nothing reaches the server's 'error'.
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import type { Simulator } from '@fsbus/sim';
import type { EslClient, EslServer, EslSession } from '../src/index.js';
import { onSession } from './support/outbound-example.js';
import { bounded, nextEvent } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

const lines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');

void test('docs/esl.md shows the handler of support/outbound-example.ts line for line', async () => {
  const example = await readFile(new URL('./support/outbound-example.ts', import.meta.url), 'utf8');
  const handler = lines(/\/\/ docs:begin\n([\s\S]*?)\/\/ docs:end/.exec(example)?.[1] ?? '');
  assert.ok(handler.length > 5);
  const doc = await readFile(new URL('../../../docs/esl.md', import.meta.url), 'utf8');
  const block = /## Outbound\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const docLines = lines(block);
  const at = docLines.indexOf(handler[0]!);
  assert.ok(at >= 0, `the docs' outbound example lacks: ${handler[0]}`);
  assert.deepEqual(docLines.slice(at, at + handler.length), handler);
});

async function runExample(script: (session: EslSession, client: EslClient, sim: Simulator) => Promise<void>): Promise<void> {
  const errors: Error[] = [];
  let served: Promise<void> | undefined;
  const prepare = (server: EslServer): void => {
    server.on('error', (err) => errors.push(err));
    served = new Promise<void>((resolve) => server.on('session', (s) => onSession(s).finally(resolve)));
  };
  await withDialplanSession('async full', async ({ session, client, sim }) => {
    await script(session, client, sim);
    await bounded(served!, 'the handler');
    assert.equal(session.closed, true, 'closed by the handler');
    assert.equal(session.ended, true);
    assert.equal(session.hungUp, true);
    assert.deepEqual(errors, []);
  }, {}, prepare);
}

void test('the outbound example: digits, bridge, the caller hangs up during the bridge; the handler closes the session', async () => {
  await runExample(async (session, client, sim) => {
    await client.events('plain', ['CHANNEL_BRIDGE', 'CHANNEL_EXECUTE']);
    const bridged = nextEvent(client, 'CHANNEL_BRIDGE');
    // Keyed once the prompt runs: digits keyed while the `async` session is parked are dropped
    // by park, as FreeSWITCH's switch_ivr_park does.
    await bounded(new Promise<void>((resolve) => client.on('CHANNEL_EXECUTE', (e) => e.getHeader('Application') === 'play_and_get_digits' && resolve())), 'play_and_get_digits');
    assert.ok(sim.core.control.sendDigits(session.uuid, '1000'));
    await bounded(bridged, 'the bridge');
    await client.api(`uuid_kill ${session.uuid}`);
  });
});

void test('the outbound example: the caller hangs up while asked for digits; what was left rejects, the handler still closes', async () => {
  await runExample(async (session, client) => {
    await client.events('plain', ['CHANNEL_EXECUTE']);
    const asking = new Promise<void>((resolve) => client.on('CHANNEL_EXECUTE', (e) => {
      if (e.getHeader('Application') === 'play_and_get_digits') resolve();
    }));
    await bounded(asking, 'play_and_get_digits');
    await client.api(`uuid_kill ${session.uuid}`);
  });
});
