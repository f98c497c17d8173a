/**
 * What SimCore.stop() leaves behind: a start() after it is a fresh core — the shutdown no longer
 * destroys held channels at once, and the db / hash stores and the scheduler's tasks are gone.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness } from './core-capture.js';

const U = '44444444-0000-4000-8000-000000000001';

void describe('SimCore stop then start', () => {
  void it('a held channel waits for its holder again, as before the first stop', async () => {
    const h = harness();
    await h.core.stop();
    h.core.start();
    assert.equal(await apiAt(h, 'originate', `{origination_uuid=${U}}loopback/7001 &park()`), `+OK ${U}\n`);
    const release = h.core.holdChannel(U);
    assert.ok(release);
    assert.equal(await apiAt(h, 'uuid_kill', U), '+OK\n');
    const destroyed = (): boolean => h.events.some((e) => e.name === 'CHANNEL_DESTROY' && e.uuid === U);
    assert.equal(destroyed(), false, 'the session holds it');
    release();
    await h.clock.advance(0);
    assert.equal(destroyed(), true);
    await h.core.stop();
  });

  void it('db, hash and scheduled hangups do not survive stop()', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'originate', `{origination_uuid=${U}}loopback/7001 &park()`), `+OK ${U}\n`);
    assert.equal(await apiAt(h, 'db', 'insert/realm/k/v'), '+OK');
    assert.equal(await apiAt(h, 'hash', 'insert/realm/k/v'), '+OK\n');
    assert.equal(await apiAt(h, 'sched_hangup', `+60 ${U}`), '+OK\n');
    await h.core.stop();
    h.core.start();
    assert.equal(await apiAt(h, 'db', 'count'), '0');
    assert.equal(await apiAt(h, 'hash', 'select/realm/k'), '-ERR no reply\n');
    assert.equal(await apiAt(h, 'sched_del', U), '+OK Deleted: 0\n');
    await h.core.stop();
  });
});
