/**
 * mod_dptools' push and unshift (FreeSWITCH 1.10.12): base_set with SWITCH_STACK_PUSH /
 * SWITCH_STACK_UNSHIFT. `name=value` (or `name,value`), the value expanded; onto a variable that
 * exists the value is appended / prepended as one item (`ARRAY::a|:b`, the variable where it was);
 * a new one is the value alone (an `ARRAY::x|:y` value is read item by item); no value unsets it.
 * Logged `PUSH <channel> [name]=[value]` at DEBUG, as `SET` is.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { apiAt, executeOn, header, parkedLeg, type Harness } from './core-capture.js';

const U = 'd7d70000-0000-4000-8000-000000000001';

const parked = (): ReturnType<typeof parkedLeg> => parkedLeg(U);

function execute(h: Harness, app: string, arg: string): void {
  assert.equal(executeOn(h, U, app, arg), '+OK');
}

const getvar = (h: Harness, name: string): Promise<string> => apiAt(h, 'uuid_getvar', `${U} ${name}`);

void describe('push / unshift', () => {
  void it('build an ARRAY:: value item by item, at either end', async () => {
    const h = await parked();
    execute(h, 'push', 'fsbus_arr=a');
    assert.equal(await getvar(h, 'fsbus_arr'), 'a', 'a new variable is the value alone');
    execute(h, 'push', 'fsbus_arr=b');
    assert.equal(await getvar(h, 'fsbus_arr'), 'ARRAY::a|:b');
    execute(h, 'unshift', 'fsbus_arr=z');
    assert.equal(await getvar(h, 'fsbus_arr'), 'ARRAY::z|:a|:b');
    execute(h, 'push', 'fsbus_arr,c d');
    assert.equal(await getvar(h, 'fsbus_arr'), 'ARRAY::z|:a|:b|:c d', 'name,value as base_set reads it');
    execute(h, 'unshift', 'fsbus_one=x');
    assert.equal(await getvar(h, 'fsbus_one'), 'x');
    execute(h, 'unshift', 'fsbus_one=y');
    assert.equal(await getvar(h, 'fsbus_one'), 'ARRAY::y|:x');
    await h.core.stop();
  });

  void it('an ARRAY:: value is split on a new variable, one item on an existing one; values are expanded; none unsets', async () => {
    const h = await parked();
    execute(h, 'push', 'fsbus_new=ARRAY::p|:q');
    assert.equal(await getvar(h, 'fsbus_new'), 'ARRAY::p|:q');
    execute(h, 'push', 'fsbus_new=r');
    assert.equal(await getvar(h, 'fsbus_new'), 'ARRAY::p|:q|:r', 'the items were pushed one by one');
    execute(h, 'push', 'fsbus_single=ARRAY::only');
    assert.equal(await getvar(h, 'fsbus_single'), 'only', 'a one-item array is its item');
    execute(h, 'push', 'fsbus_plain=s');
    execute(h, 'unshift', 'fsbus_plain=ARRAY::t|:u');
    assert.equal(await getvar(h, 'fsbus_plain'), 'ARRAY::ARRAY::t|:u|:s', 'onto an existing variable it is one item');
    await apiAt(h, 'uuid_setvar', `${U} fsbus_pre P`);
    execute(h, 'push', 'fsbus_new=${fsbus_pre}!');
    assert.equal(await getvar(h, 'fsbus_new'), 'ARRAY::p|:q|:r|:P!');
    execute(h, 'push', 'fsbus_new=');
    assert.equal(await getvar(h, 'fsbus_new'), '_undef_', 'no value unsets the variable');
    execute(h, 'unshift', 'fsbus_plain');
    assert.equal(await getvar(h, 'fsbus_plain'), '_undef_');
    await h.core.stop();
  });

  void it('a push keeps the variable where it was among the channel\'s; the log lines of base_set', async () => {
    const h = await parked();
    execute(h, 'set', 'fsbus_first=1');
    execute(h, 'set', 'fsbus_second=2');
    execute(h, 'push', 'fsbus_first=1b');
    execute(h, 'log', 'INFO marker');
    const complete = h.events.findLast((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === 'log');
    const names = complete?.headers.map(([k]) => k) ?? [];
    assert.ok(names.indexOf('variable_fsbus_first') >= 0 && names.indexOf('variable_fsbus_first') < names.indexOf('variable_fsbus_second'), 'not moved to the end');
    assert.equal(header(complete!, 'variable_fsbus_first'), 'ARRAY::1|:1b');
    execute(h, 'push', '');
    execute(h, 'unshift', 'fsbus_first=0');
    const texts = h.logs.filter((l) => l.file === 'mod_dptools.c').map((l) => [l.level, l.func, l.text.replace(/^.*?\] /, '')]);
    assert.deepEqual(texts.filter(([, func]) => func === 'base_set'), [
      // set_function is base_set too.
      [7, 'base_set', 'mod_dptools.c:1671 SET loopback/7001-a [fsbus_first]=[1]\n'],
      [7, 'base_set', 'mod_dptools.c:1671 SET loopback/7001-a [fsbus_second]=[2]\n'],
      [7, 'base_set', 'mod_dptools.c:1671 PUSH loopback/7001-a [fsbus_first]=[1b]\n'],
      [3, 'base_set', 'mod_dptools.c:1649 No variable name specified.\n'],
      [7, 'base_set', 'mod_dptools.c:1671 UNSHIFT loopback/7001-a [fsbus_first]=[0]\n'],
    ]);
    await h.core.stop();
  });
});
