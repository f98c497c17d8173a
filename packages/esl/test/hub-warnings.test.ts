/**
 * What the event hub says through the client's logger about events nobody gets: those a full
 * iterator queue drops, and listener names that no event is ever emitted under.
 */
import { strict as assert } from 'node:assert';
import { test, type TestContext } from 'node:test';
import { EslClient } from '../src/index.js';
import { ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

function okAll(cmd: ReceivedCommand, conn: PeerConn): void {
  if (cmd.line.startsWith('api ')) conn.apiResponse('+OK');
  else if (cmd.line === 'exit') {
    conn.reply('+OK bye');
    conn.end();
  } else conn.reply('+OK');
}

interface Line {
  fields: Record<string, unknown>;
  msg: string;
}

async function connected(t: TestContext): Promise<{ client: EslClient; conn: PeerConn; warns: Line[] }> {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const warns: Line[] = [];
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    error: () => undefined,
    warn: (fields: object, msg: string) => void warns.push({ fields: fields as Record<string, unknown>, msg }),
  };
  const client = new EslClient({ port: peer.port, reconnect: false, logger });
  t.after(() => client.close());
  await client.connect();
  const conn = await peer.nextConnection();
  return { client, conn, warns };
}

void test('events dropped by a full iterator queue: one warn at once, the rest of the burst summed up in one line (at the latest at close)', async (t) => {
  const { client, conn, warns } = await connected(t);
  const it = client.iterate({ limit: 1 });
  for (let i = 0; i < 4; i++) conn.event({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'x::y', 'X-N': String(i) });
  await client.api('status'); // answered after the four events
  assert.equal(it.dropped, 3);
  assert.equal(client.stats.droppedEvents, 3);
  const dropLines = (): Line[] => warns.filter((l) => /dropped/.test(l.msg));
  assert.equal(dropLines().length, 1, JSON.stringify(warns));
  assert.equal(dropLines()[0]!.fields['limit'], 1);
  assert.equal(dropLines()[0]!.fields['dropped'], 1);
  await client.close();
  // dropped_events: the client's stats.droppedEvents when the line's last drop happened.
  assert.deepEqual(dropLines().map((l) => [l.fields['dropped'], l.fields['suppressed'], l.fields['dropped_events']]), [[1, undefined, 1], [3, 2, 3]]);
  await it.return();
});

void test('a listener name no event is emitted under (modesl-style esl::…, a misspelt event name, ALL) is warned about once per name; known names, CUSTOM subclasses and signals are not', async (t) => {
  const { client, warns } = await connected(t);
  const noop = (): void => undefined;
  for (const name of ['esl::event::CHANNEL_CREATE::*', 'CHANNEL_CREATED', 'CHANNEL_CREATED', 'ALL']) client.on(name, noop);
  client.once('CHANNEL_CREATED', noop);
  const quiet = ['CHANNEL_CREATE', 'channel_create', 'SWITCH_EVENT_CHANNEL_CREATE', 'custom::sofia::register', 'CUSTOM::sofia::register', 'event', 'log', 'LOG', 'status', 'reconnect-failed', 'error', 'frame', 'disconnect-notice'];
  for (const name of quiet) client.on(name, noop);
  const lines = warns.filter((l) => /listener name/.test(l.msg));
  assert.deepEqual(lines.map((l) => l.fields['name']), ['esl::event::CHANNEL_CREATE::*', 'CHANNEL_CREATED', 'ALL'], JSON.stringify(warns));
  assert.match(String(lines[0]!.fields['hint']), /'CHANNEL_CREATE'/);
  // Still added (a later FreeSWITCH's event type is a name this library does not know).
  assert.equal(client.listenerCount('CHANNEL_CREATED'), 3);
});
