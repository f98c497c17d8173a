/**
 * `show registrations`, `show detailed_calls` and `show detailed_bridged_calls` as mod_commands
 * answers them: the registrations table (empty: the simulator registers nobody) and the
 * detailed_calls view (every channels column but the initial_* ones, for the call and its b-leg).
 */
import { strict as assert } from 'node:assert';
import { afterEach, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

const cleanup: Array<() => Promise<void> | void> = [];
void afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function client(): Promise<WireClient> {
  const sim = new Simulator({
    port: 0, heartbeatIntervalMs: 0,
    dialplan: {
      default: [
        { name: '7001', conditions: [{ field: 'destination_number', expression: '^7001$', actions: [{ application: 'answer' }, { application: 'park' }] }] },
        { name: '8200', conditions: [{ field: 'destination_number', expression: '^8200$', actions: [{ application: 'answer' }, { application: 'bridge', data: 'user/1000' }] }] },
      ],
    },
  });
  const { port } = await sim.start();
  cleanup.push(() => sim.stop());
  const c = await WireClient.authed(port);
  cleanup.push(() => c.close());
  return c;
}

async function api(c: WireClient, text: string): Promise<string> {
  return (await c.command(`api ${text}`)).body?.toString() ?? '';
}

const SIDE = [
  'uuid', 'direction', 'created', 'created_epoch', 'name', 'state', 'cid_name', 'cid_num', 'ip_addr', 'dest', 'application', 'application_data',
  'dialplan', 'context', 'read_codec', 'read_rate', 'read_bit_rate', 'write_codec', 'write_rate', 'write_bit_rate', 'secure', 'hostname',
  'presence_id', 'presence_data', 'accountcode', 'callstate', 'callee_name', 'callee_num', 'callee_direction', 'call_uuid', 'sent_callee_name',
  'sent_callee_num',
];
const DETAILED = [...SIDE, ...SIDE.map((c) => `b_${c}`), 'call_created_epoch'];

void it('show registrations: the empty table, in every format', async () => {
  const c = await client();
  assert.equal(await api(c, 'show registrations'), '\n0 total.\n');
  assert.equal(await api(c, 'show registrations as json'), '{"row_count": 0}\n');
  assert.equal(await api(c, 'show registrations as xml'), '<result row_count="0"/>\n');
  assert.equal(await api(c, 'show registrations count'), '\n0 total.\n');
});

void it('show detailed_calls and detailed_bridged_calls: the detailed_calls view', async () => {
  const c = await client();
  assert.equal(await api(c, 'show detailed_calls'), '\n0 total.\n');
  assert.equal(await api(c, 'show detailed_bridged_calls as json'), '{"row_count": 0}\n');
  const parked = await api(c, 'originate loopback/7001 &park()');
  assert.match(parked, /^\+OK /);
  const bridged = await api(c, 'originate loopback/8200 &park()');
  assert.match(bridged, /^\+OK /);
  const all = JSON.parse(await api(c, 'show detailed_calls as json')) as { row_count: number; rows: Array<Record<string, string>> };
  for (const row of all.rows) assert.deepEqual(Object.keys(row), DETAILED);
  // The rows of `show calls` (one per bridge, one per channel in none), with the detailed columns.
  const calls = JSON.parse(await api(c, 'show calls as json')) as { row_count: number; rows: Array<Record<string, string>> };
  assert.equal(all.row_count, calls.row_count);
  assert.deepEqual(all.rows.map((r) => r['uuid']), calls.rows.map((r) => r['uuid']));
  const b = JSON.parse(await api(c, 'show detailed_bridged_calls as json')) as { row_count: number; rows: Array<Record<string, string>> };
  assert.equal(b.row_count, 1);
  const row = b.rows[0]!;
  assert.equal(row['name'], 'loopback/8200-b');
  assert.equal(row['application'], 'bridge');
  assert.equal(row['b_name'], 'sofia/internal/1000@127.0.0.1');
  assert.equal(row['b_read_codec'], 'L16');
  assert.notEqual(row['call_created_epoch'], '');
  const plain = await api(c, 'show detailed_bridged_calls');
  assert.equal(plain.split('\n')[0], DETAILED.join(','));
  assert.match(plain, /\n\n1 total\.\n$/);
});
