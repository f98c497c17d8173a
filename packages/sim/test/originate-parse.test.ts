import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseOriginate, parseVarBlock, splitArgs } from '../src/core/index.js';
import { apiAt, harness, header } from './core-capture.js';

void describe('originate argument parsing', () => {
  void it('reads {vars}, &app(args) and the defaults', () => {
    const r = parseOriginate('{origination_uuid=u1,origination_caller_id_name=Alice}loopback/7001 &park()');
    assert.ok(r.ok);
    assert.equal(r.value.endpoint, 'loopback/7001');
    assert.deepEqual([...r.value.vars], [['origination_uuid', 'u1'], ['origination_caller_id_name', 'Alice']]);
    assert.deepEqual(r.value.app, { name: 'park', args: '' });
    assert.equal(r.value.dialplan, 'XML');
    assert.equal(r.value.context, 'default');
    assert.equal(r.value.timeoutSec, 60);
  });

  void it('reads the extension, dialplan, context, cid and timeout positions', () => {
    const r = parseOriginate('user/1000 7001 XML public "Big Co" 5551234 30');
    assert.ok(r.ok);
    assert.equal(r.value.app, undefined);
    assert.equal(r.value.extension, '7001');
    assert.equal(r.value.context, 'public');
    assert.equal(r.value.cidName, 'Big Co');
    assert.equal(r.value.cidNum, '5551234');
    assert.equal(r.value.timeoutSec, 30);
    const u = parseOriginate('user/1000 7001 undef undef undef 42');
    assert.ok(u.ok);
    assert.equal(u.value.dialplan, 'XML');
    assert.equal(u.value.cidNum, '42');
  });

  void it('keeps escaped commas and quoted values in variables, stacks {} <> blocks and leaves the per-leg [] block', () => {
    assert.deepEqual([...parseVarBlock("a=1\\,2,b='x,y',c=\"p q\",d=")], [['a', '1,2'], ['b', 'x,y'], ['c', 'p q'], ['d', '']]);
    const r = parseOriginate("{a=1,b='two words'}<c=3>[d=4\\,5]sofia/internal/1000@example.com &playback(tone_stream://%(100,0,440);loops=2)");
    assert.ok(r.ok);
    assert.equal(r.value.endpoint, '[d=4\\,5]sofia/internal/1000@example.com');
    assert.deepEqual([...r.value.vars], [['a', '1'], ['b', 'two words'], ['c', '3']]);
    assert.deepEqual(r.value.app, { name: 'playback', args: 'tone_stream://%(100,0,440);loops=2' });
  });

  void it('splits arguments on blanks outside quotes and brackets', () => {
    assert.deepEqual(splitArgs(`{x='a b'}user/1 &bridge(user/2) XML default 'Al Ice' 100`), [`{x='a b'}user/1`, '&bridge(user/2)', 'XML', 'default', 'Al Ice', '100']);
  });

  void it('rejects too few or too many arguments', () => {
    assert.equal(parseOriginate('user/1000').ok, false);
    assert.equal(parseOriginate('a b c d e f g h').ok, false);
  });

  void it('originate_timeout from the variables bounds a call nobody answers (-ERR NO_ANSWER)', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1000', { answer: 'no-answer' });
    const p = h.core.api('originate', '{originate_timeout=5}user/1000 &park()');
    let reply: string | undefined;
    void p.then((r) => (reply = r));
    // Dialled at .424395 (FakeClock): the ring loop's whole-second check ends it at the 5th boundary.
    await h.clock.advance(4575);
    assert.equal(reply, undefined);
    await h.clock.advance(1);
    assert.equal(await p, '-ERR NO_ANSWER\n');
    assert.equal(header(h.events.find((e) => e.name === 'CHANNEL_HANGUP')!, 'Hangup-Cause'), 'NO_ANSWER');
    await h.core.stop();
  });

  void it('originate_retries: a failed attempt is dialled again after originate_retry_sleep_ms, the same uuid each time', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1001', { answer: 'busy', delayMs: 100 });
    const p = h.core.api('originate', '{origination_uuid=r-1,originate_retries=3,originate_retry_sleep_ms=2000}user/1001 &park()');
    let reply: string | undefined;
    void p.then((r) => (reply = r));
    // 3 × 100 ms of ringing + 2 × 2000 ms of sleep.
    await h.clock.advance(4299);
    assert.equal(reply, undefined);
    await h.clock.advance(1);
    assert.equal(await p, '-ERR USER_BUSY\n');
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_CREATE' && e.uuid === 'r-1').length, 3);
    await h.core.stop();
  });

  void it('originate_retries: a ring timeout ends the originate (no retry), an out-of-range sleep is 1000 ms, an invalid count 1 attempt', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1002', { answer: 'no-answer' });
    h.core.control.setEndpointBehavior('user/1003', { answer: 'busy' });
    const settled = (p: Promise<string>) => Promise.race([p, Promise.resolve('pending')]);
    const unanswered = h.core.api('originate', '{originate_timeout=2,originate_retries=5}user/1002 &park()');
    await h.clock.advance(2000);
    assert.equal(await settled(unanswered), '-ERR NO_ANSWER\n');
    const twice = h.core.api('originate', '{origination_uuid=r-2,originate_retries=2,originate_retry_sleep_ms=100}user/1003 &park()');
    await h.clock.advance(999);
    assert.equal(await settled(twice), 'pending');
    await h.clock.advance(1);
    assert.equal(await settled(twice), '-ERR USER_BUSY\n');
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_CREATE' && e.uuid === 'r-2').length, 2);
    assert.equal(await apiAt(h, 'originate', '{origination_uuid=r-3,originate_retries=101}user/1003 &park()'), '-ERR USER_BUSY\n');
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_CREATE' && e.uuid === 'r-3').length, 1);
    await h.core.stop();
  });

  void it('origination_caller_id_* and the extension form route the a-leg through the dialplan', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1000', { answer: 'answer', delayMs: 300 });
    const reply = await apiAt(h, 'originate', '{origination_caller_id_number=555,origination_caller_id_name=Zed}user/1000 7001 XML default', 300);
    assert.match(reply, /^\+OK [0-9a-f-]{36}\n$/);
    const uuid = reply.slice(4, -1);
    const create = h.events.find((e) => e.name === 'CHANNEL_CREATE' && e.uuid === uuid)!;
    assert.equal(header(create, 'Caller-Caller-ID-Number'), '555');
    assert.equal(header(create, 'Caller-Caller-ID-Name'), 'Zed');
    assert.equal(header(create, 'Channel-Name'), 'sofia/internal/1000@127.0.0.1');
    await h.clock.advance(1);
    const parks = h.events.filter((e) => e.name === 'CHANNEL_PARK' && e.uuid === uuid);
    assert.equal(parks.length, 1);
    assert.equal(header(parks[0]!, 'Caller-Destination-Number'), '7001');
    await h.core.stop();
  });
});
