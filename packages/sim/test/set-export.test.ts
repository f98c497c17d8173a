/**
 * `set` is mod_dptools' base_set: `name=value`, or `name,value` when there is no `=`, and the value
 * — already expanded by switch_core_session_exec — expanded once more (so an escaped `\${…}` is
 * read in the end). `export`
 * (export_function, switch_channel_export_variable_var_check) takes `name=value` only, does not
 * expand again, and appends the name to export_vars.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, on, type ApiWire } from './api-wire.js';

const U = 'e0e0e0e0-0000-4000-8000-000000008700';
const open = apiWirePerTest();

async function run(w: ApiWire, app: string, arg: string): Promise<void> {
  assert.equal(await w.command(`sendmsg ${U}\ncall-command: execute\nexecute-app-name: ${app}\nexecute-app-arg: ${arg}`), '+OK');
  await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', app), `${app} ${arg}`);
}

async function parked(): Promise<ApiWire> {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 &park()`), `+OK ${U}\n`);
  assert.equal(await w.api(`uuid_setvar ${U} inner deep`), '+OK\n');
  return w;
}

void it('set: name,value when there is no =; the value expanded a second time', async () => {
  const w = await parked();
  await run(w, 'set', 'comma,1,2');
  assert.equal(await w.api(`uuid_getvar ${U} comma`), '1,2');
  await run(w, 'set', 'eq=a,b');
  assert.equal(await w.api(`uuid_getvar ${U} eq`), 'a,b');
  // switch_core_session_exec turns `\${inner}` into `${inner}`; base_set expands that.
  await run(w, 'set', 'twice=\\${inner}');
  assert.equal(await w.api(`uuid_getvar ${U} twice`), 'deep');
});

void it('export: name=value only, expanded once, the name added to export_vars', async () => {
  const w = await parked();
  await run(w, 'export', 'once=\\${inner}');
  assert.equal(await w.api(`uuid_getvar ${U} once`), '${inner}');
  await run(w, 'export', 'second=2');
  assert.equal(await w.api(`uuid_getvar ${U} export_vars`), 'once,second');
  await run(w, 'export', 'x,y');
  assert.equal(await w.api(`uuid_getvar ${U} x`), '_undef_');
  assert.equal(await w.api(`uuid_getvar ${U} export_vars`), 'once,second', 'no value: nothing exported');
});

void it('export_vars reach the legs the channel originates from then on (switch_channel_process_export)', async () => {
  const w = await parked();
  await run(w, 'export', 'second=2');
  await run(w, 'export', 'nolocal:remote=r');
  const B = 'e0e0e0e0-0000-4000-8000-000000008701';
  assert.equal(await w.command(`sendmsg ${U}\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {origination_uuid=${B}}loopback/9999`), '+OK');
  await w.until(on(U, 'CHANNEL_BRIDGE'), 'the bridge');
  assert.equal(await w.api(`uuid_getvar ${B} second`), '2');
  // The prefix is the exporter's: the new leg gets the plain name.
  assert.equal(await w.api(`uuid_getvar ${B} remote`), 'r');
  assert.equal(await w.api(`uuid_getvar ${B} export_vars`), 'second,nolocal:remote');
});
