// `show modules` (the seeds' "list modules" example) answered -ERR Invalid command. FreeSWITCH
// 1.10.12 answers it from its interfaces table: `select distinct type, name, ikey, filename ...
// order by type,name` (mod_commands.c show_function), as CSV with a header and `N total.`.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness } from './core-capture.js';

void describe('SimCore api: show modules', () => {
  void it('lists type,name,ikey,filename rows ordered by type then name, then the total', async () => {
    const h = harness();
    const text = await apiAt(h, 'show', 'modules');
    const lines = text.split('\n');
    assert.equal(lines[0], 'type,name,ikey,filename');
    const total = /^(\d+) total\.$/.exec(lines.at(-2) ?? '');
    assert.ok(total, text);
    assert.equal(lines.at(-3), '', 'a blank line before the total');
    const rows = lines.slice(1, -3).map((l) => l.split(','));
    assert.equal(rows.length, Number(total[1]));
    assert.ok(rows.every((r) => r.length === 4), 'four columns a row');
    const keys = rows.map(([type, name]) => `${type}\u0000${name}`);
    assert.deepEqual(keys, [...keys].sort(), 'ordered by type, then name (byte order, as SQLite)');
    assert.equal(new Set(rows.map((r) => r.join(','))).size, rows.length, 'distinct rows');
    const has = (row: string) => assert.ok(text.includes(`\n${row}\n`), `missing ${row}`);
    has('api,show,mod_commands,/usr/lib/freeswitch/mod/mod_commands.so');
    has('application,playback,mod_dptools,/usr/lib/freeswitch/mod/mod_dptools.so');
    has('endpoint,sofia,mod_sofia,/usr/lib/freeswitch/mod/mod_sofia.so');
    has('dialplan,XML,mod_dialplan_xml,/usr/lib/freeswitch/mod/mod_dialplan_xml.so');
  });

  void it('lists only modules module_exists knows, each of them', async () => {
    const h = harness();
    const rows = (await apiAt(h, 'show', 'modules')).split('\n').slice(1).filter((l) => l.includes(','));
    const modules = new Set(rows.map((l) => l.split(',')[2]!).filter((k) => k.startsWith('mod_')));
    for (const m of modules) assert.equal(await apiAt(h, 'module_exists', m), 'true', m);
    for (const m of ['mod_event_socket', 'mod_commands', 'mod_dptools', 'mod_sofia', 'mod_xml_curl', 'mod_logfile']) assert.ok(modules.has(m), m);
  });

  void it('filters by module (`show modules mod_sofia`) and formats as json', async () => {
    const h = harness();
    const sofia = (await apiAt(h, 'show', 'modules mod_sofia')).split('\n').slice(1).filter((l) => l.includes(','));
    assert.ok(sofia.length > 0);
    assert.ok(sofia.every((l) => l.split(',')[2] === 'mod_sofia'), sofia.join('\n'));
    assert.equal(await apiAt(h, 'show', 'modules mod_nope'), '\n0 total.\n');
    const json = JSON.parse(await apiAt(h, 'show', 'modules as json')) as { row_count: number; rows: Array<Record<string, string>> };
    assert.equal(json.row_count, json.rows.length);
    assert.deepEqual(Object.keys(json.rows[0]!), ['type', 'name', 'ikey', 'filename']);
    assert.ok(json.rows.some((r) => r['type'] === 'api' && r['name'] === 'hash' && r['ikey'] === 'mod_hash'));
    // As FreeSWITCH: `as` is read only as the second word, so after a module name it is ignored.
    assert.match(await apiAt(h, 'show', 'modules mod_hash as json'), /^type,name,ikey,filename\napi,hash,mod_hash,/);
  });

  void it('a module with no interfaces is one generic row', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'show', 'modules mod_logfile'), 'type,name,ikey,filename\ngeneric,mod_logfile,mod_logfile,/usr/lib/freeswitch/mod/mod_logfile.so\n\n1 total.\n');
  });
});
