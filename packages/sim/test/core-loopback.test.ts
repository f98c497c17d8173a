import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { NO_FIXTURES, apiAt, capturedEvents, capturedInDeliveryOrder, captureOfCall, harness, header, label, shape } from './core-capture.js';
import type { CapturedEvent } from './core-capture.js';
import type { CoreEvent } from '../src/core/index.js';

const U = '11111111-0000-4000-8000-000000000001';
type Ev = CapturedEvent | CoreEvent;

/** Event names per channel, in order (the two legs interleave differently from run to run in FreeSWITCH). */
function perChannel(list: readonly Ev[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of list) {
    const ch = header(e, 'Channel-Name') ?? '-';
    m.set(ch, [...(m.get(ch) ?? []), e.name]);
  }
  return m;
}

/** The same event of the same channel by occurrence: `loopback/7001-a CHANNEL_EXECUTE 2`. */
function byOccurrence(list: readonly Ev[]): Map<string, Ev> {
  const m = new Map<string, Ev>();
  const count = new Map<string, number>();
  for (const e of list) {
    const k = `${header(e, 'Channel-Name') ?? '-'} ${e.name}`;
    const n = (count.get(k) ?? 0) + 1;
    count.set(k, n);
    m.set(`${k} ${n}`, e);
  }
  return m;
}

async function runScenario() {
  const h = harness();
  const reply = await apiAt(h, 'originate', `{origination_uuid=${U},origination_caller_id_name=Alice,origination_caller_id_number=1001}loopback/7001 &park()`);
  const execute = new Map([['call-command', 'execute'], ['execute-app-name', 'playback'], ['execute-app-arg', 'tone_stream://%(200,0,440)'], ['event-uuid', 'bbbbbbbb-0000-0000-0000-000000000001']]);
  assert.equal(h.core.sendmsg(U, { callCommand: 'execute', headers: execute, body: undefined }), '+OK');
  await h.clock.advance(500);
  assert.equal(await apiAt(h, 'uuid_broadcast', `${U} tone_stream://%(100,0,600) aleg`, 500), '+OK Message sent\n');
  await apiAt(h, 'uuid_dump', `${U} json`);
  await apiAt(h, 'show', 'channels as json');
  assert.equal(await apiAt(h, 'uuid_kill', U, 10), '+OK\n');
  const busy = await apiAt(h, 'originate', 'loopback/7002 &park()', 10);
  h.core.bgapi('originate', '{origination_caller_id_name=Bob}loopback/7004 &park()', '6d3c0787-aaf8-441b-b5fc-08af760a27c9');
  await h.clock.advance(2000);
  await h.core.stop();
  return { h, reply, busy };
}

void describe('SimCore loopback calls against the real capture', { skip: NO_FIXTURES }, () => {
  void it('originate loopback/7001 &park() fires the captured sequence, header names and order', async () => {
    const h = harness();
    const reply = await apiAt(h, 'originate', `{origination_uuid=${U},origination_caller_id_name=Alice,origination_caller_id_number=1001}loopback/7001 &park()`);
    assert.equal(reply, `+OK ${U}\n`);
    const captured = captureOfCall('7001', 676, 705);
    const mine = h.events.filter((e) => e.name !== 'API');
    assert.deepEqual(mine.map(label), captured.map(label));
    captured.forEach((c, i) => assert.deepEqual(shape(mine[i] as CoreEvent), shape(c), `headers of ${label(c)} #${i}`));
    // The API event in the place every listener of the capture got it: once originate returned
    // (after the b-leg parked, before the a-leg runs its app), with the sequence number it was
    // created with, lower than those of the events before it.
    // (The legs' own events interleave differently from run to run in FreeSWITCH, so the rest is
    // compared in sequence order above.)
    const delivered = capturedInDeliveryOrder();
    const at = delivered.findIndex((e) => e.name === 'API' && e.seq === 676);
    const api = h.events.find((e) => e.name === 'API');
    assert.ok(api);
    const i = h.events.indexOf(api);
    assert.deepEqual([h.events[i - 1], h.events[i + 1]].map((e) => label(e as CoreEvent)), [delivered[at - 1], delivered[at + 1]].map((e) => label(e as CapturedEvent)));
    assert.equal(header(api, 'API-Command-Argument'), `{origination_uuid=${U},origination_caller_id_name=Alice,origination_caller_id_number=1001}loopback/7001 &park()`);
    assert.ok(h.events.every((e) => e === api || e.sequence > api.sequence), 'the API event took its number first');
    await h.core.stop();
  });

  void it('the whole scenario (7001 park/sendmsg/broadcast/kill, 7002 busy, bgapi 7004) matches per channel, with variables in order', async () => {
    const { h, reply, busy } = await runScenario();
    assert.equal(reply, `+OK ${U}\n`);
    assert.equal(busy, '-ERR USER_BUSY\n');
    const captured = capturedEvents().filter((e) => e.seq >= 676 && e.seq <= 822 && e.name !== 'API');
    const mine = h.events.filter((e) => e.name !== 'API' && !(header(e, 'Hangup-Cause') === 'SYSTEM_SHUTDOWN'));
    const want = perChannel(captured);
    const got = perChannel(mine);
    for (const [ch, names] of want) {
      if (!ch.startsWith('loopback/')) continue;
      assert.deepEqual(got.get(ch), names, `events of ${ch}`);
    }
    const wantBy = byOccurrence(captured);
    const gotBy = byOccurrence(mine);
    for (const [k, c] of wantBy) {
      if (!k.startsWith('loopback/')) continue;
      const m = gotBy.get(k);
      assert.ok(m, `missing ${k}`);
      assert.deepEqual(m.headers.map(([n]) => n), c.headers.map(([n]) => n), `header names of ${k}`);
    }
  });

  void it('Event-Sequence increases (an API event keeps the lower number it was created with) and every event starts with the 13 core headers', async () => {
    const { h } = await runScenario();
    const core = ['Event-Name', 'Core-UUID', 'FreeSWITCH-Hostname', 'FreeSWITCH-Switchname', 'FreeSWITCH-IPv4', 'FreeSWITCH-IPv6', 'Event-Date-Local', 'Event-Date-GMT', 'Event-Date-Timestamp', 'Event-Calling-File', 'Event-Calling-Function', 'Event-Calling-Line-Number', 'Event-Sequence'];
    assert.equal(new Set(h.events.map((e) => e.sequence)).size, h.events.length, 'sequence numbers are unique');
    let last = 0;
    for (const e of h.events) {
      if (e.name !== 'API') {
        assert.ok(e.sequence > last, `sequence ${e.sequence} after ${last}`);
        last = e.sequence;
      }
      const start = e.headers.findIndex(([k]) => k === 'Event-Name');
      assert.deepEqual(e.headers.slice(start, start + 13).map(([k]) => k), core);
      assert.match(header(e, 'Event-Date-Local') ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.match(header(e, 'Event-Date-GMT') ?? '', /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
      assert.match(header(e, 'Event-Date-Timestamp') ?? '', /^\d{16}$/);
    }
  });

  void it('a failed originate returns once its legs are through hangup: its API event between the b-leg\'s destroy and the a-leg\'s, as captured', async () => {
    const { h, busy } = await runScenario();
    assert.equal(busy, '-ERR USER_BUSY\n');
    const delivered = capturedInDeliveryOrder();
    const at = delivered.findIndex((e) => e.name === 'API' && header(e, 'API-Command-Argument') === 'loopback/7002 &park()');
    const api = h.events.findIndex((e) => e.name === 'API' && header(e, 'API-Command-Argument') === 'loopback/7002 &park()');
    assert.ok(at > 0 && api > 0);
    const around = (list: readonly Ev[], i: number): string[] => [list[i - 2], list[i - 1], list[i + 1]].map((e) => `${e?.name} ${header(e as Ev, 'Channel-Name')} ${header(e as Ev, 'Channel-State')}`);
    assert.deepEqual(around(h.events, api), around(delivered, at));
  });

  void it('bgapi originate fires BACKGROUND_JOB with the captured headers and the +OK body, before the a-leg runs its app', async () => {
    const { h } = await runScenario();
    const job = h.events.find((e) => e.name === 'BACKGROUND_JOB');
    assert.ok(job);
    const captured = capturedEvents().find((e) => e.name === 'BACKGROUND_JOB');
    assert.ok(captured);
    assert.deepEqual(shape(job), shape(captured));
    assert.equal(header(job, 'Job-UUID'), '6d3c0787-aaf8-441b-b5fc-08af760a27c9');
    assert.equal(header(job, 'Job-Command-Arg'), '{origination_caller_id_name=Bob}loopback/7004 &park()');
    assert.match(job.body ?? '', /^\+OK [0-9a-f-]{36}\n$/);
    // As captured: CALL_UPDATE, the job's API event (created before the originate ran), BACKGROUND_JOB.
    const i = h.events.indexOf(job);
    assert.equal(h.events[i - 2]?.name, 'CALL_UPDATE');
    assert.equal(h.events[i - 1]?.name, 'API');
    assert.ok((h.events[i - 1]?.sequence ?? 0) < (h.events[i - 2]?.sequence ?? 0));
    assert.equal(label(h.events[i + 1] as CoreEvent), 'CHANNEL_STATE a');
  });

  void it('CHANNEL_HANGUP_COMPLETE carries Hangup-Cause first and the call variables', async () => {
    const { h } = await runScenario();
    const hc = h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === U);
    assert.ok(hc);
    assert.equal(hc.headers[13]?.[0], 'Hangup-Cause');
    assert.equal(header(hc, 'variable_hangup_cause'), 'NORMAL_CLEARING');
    assert.equal(header(hc, 'variable_hangup_cause_q850'), '16');
    assert.equal(header(hc, 'variable_last_app'), 'playback');
    assert.equal(header(hc, 'variable_caller_id'), '"Outbound Call" <7001>');
    assert.equal(header(hc, 'variable_billsec'), '1');
    assert.equal(header(hc, 'variable_is_loopback'), '1');
  });
});
