/**
 * `eval [uuid:<uuid> ]<text>` expands `${…}` as mod_commands' eval_function does: from the headers
 * of a CHANNEL_DATA event of that channel (so `${Unique-ID}`, `${variable_<name>}`), then the
 * global variables — a bare channel variable name is not among those headers.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness } from './core-capture.js';

const U = '33333333-0000-4000-8000-000000000001';

void describe('SimCore api: eval', () => {
  void it('reads the channel data headers by name, then the globals', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'originate', `{origination_uuid=${U}}loopback/7001 &park()`), `+OK ${U}\n`);
    assert.equal(await apiAt(h, 'uuid_setvar', `${U} foo bar`), '+OK\n');
    assert.equal(await apiAt(h, 'eval', `uuid:${U} \${Unique-ID}`), U);
    assert.equal(await apiAt(h, 'eval', `uuid:${U} \${caller-unique-id}`), U, 'header names in any case');
    assert.equal(await apiAt(h, 'eval', `uuid:${U} [\${variable_foo}]`), '[bar]');
    assert.equal(await apiAt(h, 'eval', `uuid:${U} [\${foo}]`), '[]', 'a bare variable name is no header');
    assert.equal(await apiAt(h, 'eval', `uuid:${U} \${hostname}`), 'vm', 'then the globals');
    assert.equal(await apiAt(h, 'eval', `uuid:${U} \${Event-Name}`), 'CHANNEL_DATA');
    assert.equal(await apiAt(h, 'eval', '[${Unique-ID}]'), '[]', 'without uuid: no channel headers');
    await h.core.stop();
  });
});
