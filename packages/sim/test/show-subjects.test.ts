// `show <subject>` for subjects other than the channel and call views. FreeSWITCH 1.10.12's
// show_function (mod_commands.c) answers a subject it does not know with its usage (the
// simulator said `-ERR Invalid command`), lists interfaces by type for the subjects it matches by
// prefix (`show codec`, `show endpoints`), and runs the status API for `show status`.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness } from './core-capture.js';

const USAGE = '-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n';

void describe('SimCore api: show subjects', () => {
  void it('answers an unknown subject, and none, with mod_commands usage', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'show', 'foo'), USAGE);
    assert.equal(await apiAt(h, 'show', 'channelz'), USAGE);
    assert.equal(await apiAt(h, 'show', ''), USAGE);
  });

  void it('lists the interfaces of one type (a final s dropped), as csv and json', async () => {
    const h = harness();
    const text = await apiAt(h, 'show', 'endpoints');
    const lines = text.split('\n');
    assert.equal(lines[0], 'type,name,ikey');
    assert.ok(text.includes('\nendpoint,sofia,mod_sofia\n'), text);
    assert.ok(text.includes('\nendpoint,loopback,mod_loopback\n'), text);
    const rows = lines.slice(1, -3);
    assert.ok(rows.every((r) => r.startsWith('endpoint,')), text);
    assert.equal(lines.at(-2), `${rows.length} total.`);
    const json = JSON.parse(await apiAt(h, 'show', 'codec as json')) as { row_count: number; rows: Array<Record<string, string>> };
    assert.ok(json.row_count > 0);
    assert.deepEqual(Object.keys(json.rows[0]!), ['type', 'name', 'ikey']);
    assert.ok(json.rows.some((r) => r['name'] === 'G.711 ulaw' && r['ikey'] === 'CORE_PCM_MODULE'));
    // SQLite compares the type as typed: upper case lists nothing.
    assert.equal(await apiAt(h, 'show', 'CODEC'), '\n0 total.\n');
  });

  void it('lists every interface, and the count of each type', async () => {
    const h = harness();
    const all = (await apiAt(h, 'show', 'interfaces')).split('\n');
    assert.equal(all[0], 'type,name,ikey');
    const types = (await apiAt(h, 'show', 'interface_types')).split('\n');
    assert.equal(types[0], 'type,total');
    const counted = types.slice(1, -3).reduce((n, line) => n + Number(line.split(',')[1]), 0);
    assert.equal(counted, all.length - 4, 'the totals add up to the interfaces listed');
  });

  void it('runs the status API for show status', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'show', 'status'), await apiAt(h, 'status', ''));
  });

  void it('says which subjects it does not model', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'show', 'api'), '-ERR show api is not modelled by the simulator\n');
  });
});
