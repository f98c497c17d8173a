/**
 * `${name(args)}` and `${name args}` in an expansion run the API `name` (switch_channel_expand_variables
 * and switch_event_expand_headers call switch_api_execute): the reference expands to what the
 * command wrote, not expanded again. Name and arguments are expanded first; in the `(` form the
 * arguments end at the matching `)`, in the blank form at a `)` closing a `(` of their own.
 * switch_api_execute fires an API event for each call. A command FreeSWITCH does not have fails
 * there, and its `INVALID COMMAND!` is dropped: nothing. A stock command the simulator does not
 * model expands to its not-modelled reply, so a test sees it.
 */
import { strict as assert } from 'node:assert';
import { after, before, it } from 'node:test';
import { apiWire, extension, on, type ApiWire } from './api-wire.js';

const U = 'e1e1e1e1-0000-4000-8000-000000000001';
let w: ApiWire;

before(async () => {
  w = await apiWire({ dialplan: { default: [extension('8600', [{ application: 'answer' }, { application: 'park' }])] } });
  assert.equal(await w.api(`originate {origination_uuid=${U},colour=blue,fn=echo}user/1000 8600`), `+OK ${U}\n`);
  await w.until(on(U, 'CHANNEL_PARK'), 'parked');
});
after(() => w.close());

/**
 * Runs `export r=<text>` on the parked channel: the application's argument is expanded, once
 * (`set` would expand the value a second time, as base_set does).
 */
async function expandOnChannel(text: string): Promise<string> {
  assert.equal(await w.command(`sendmsg ${U}\ncall-command: execute\nexecute-app-name: export\nexecute-app-arg: r=${text}`), '+OK');
  const done = await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', 'export'), 'export ran');
  return done['variable_r'] ?? '';
}

void it('runs the modelled APIs: uuid_getvar, db, hash, echo, expand', async () => {
  assert.equal(await expandOnChannel(`[\${uuid_getvar(${U} colour)}]`), '[blue]');
  assert.equal(await expandOnChannel('${db(insert/realm/k/v1)}|${db(select/realm/k)}'), '+OK|v1');
  assert.equal(await expandOnChannel('${hash(insert/realm/k/v2)}|${hash(select/realm/k)}'), '+OK\n|v2');
  assert.equal(await expandOnChannel('<${echo hello world}>'), '<hello world>');
  assert.equal(await expandOnChannel('${expand(echo ${colour})}'), 'blue');
});

void it('expands the name and the arguments first; the output is not expanded again', async () => {
  assert.equal(await expandOnChannel('${${fn}(${colour})}'), 'blue');
  assert.equal(await expandOnChannel('${echo(\\${colour})}'), '${colour}');
});

void it('reads the arguments as FreeSWITCH does: nested parentheses in the ( form, a ) of their own ends the blank form', async () => {
  assert.equal(await expandOnChannel('${echo(a(b)c)}'), 'a(b)c');
  assert.equal(await expandOnChannel('${echo a(b)c}'), 'a(b');
});

void it('an API FreeSWITCH lacks expands to nothing; a stock one the simulator does not model says so', async () => {
  assert.equal(await expandOnChannel('[${no_such_api(x)}]'), '[]');
  assert.equal(await expandOnChannel('${md5(x)}'), '-ERR md5 is not modelled by the simulator\n');
});

void it('fires the API event of each call', async () => {
  const from = w.seen.length;
  await expandOnChannel('${echo(ping)}');
  const api = w.seen.slice(from).find((e) => e['Event-Name'] === 'API');
  assert.deepEqual([api?.['API-Command'], api?.['API-Command-Argument']], ['echo', 'ping']);
});

void it('eval and expand run them too (switch_event_expand_headers)', async () => {
  assert.equal(await w.api('eval [${echo(x y)}]'), '[x y]');
  assert.equal(await w.api(`eval uuid:${U} \${uuid_getvar(\${Unique-ID} colour)}`), 'blue');
});
