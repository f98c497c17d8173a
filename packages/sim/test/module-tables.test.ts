/**
 * module_exists, `show modules` and the stock API table agree: a module whose APIs answer
 * "not modelled" is loaded, and `show modules <m>` lists every API of that module.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness } from './core-capture.js';

void describe('module tables', () => {
  void it('mod_voicemail is loaded (its APIs answer not modelled), mod_sofia lists all its APIs', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'voicemail', ''), '-ERR voicemail is not modelled by the simulator\n');
    assert.equal(await apiAt(h, 'module_exists', 'mod_voicemail'), 'true');
    assert.equal(await apiAt(h, 'module_exists', 'mod_nope'), 'false');
    const sofia = (await apiAt(h, 'show', 'modules mod_sofia')).split('\n');
    assert.ok(sofia.includes('api,sofia_dig,mod_sofia,/usr/lib/freeswitch/mod/mod_sofia.so'), sofia.join('\n'));
    assert.ok(sofia.includes('api,rtp_test,mod_sofia,/usr/lib/freeswitch/mod/mod_sofia.so'));
    await h.core.stop();
  });
});
