/**
 * EslEvent.toJson: the headers object a bus relays. For an untouched JSON event it may be
 * FreeSWITCH's own text; whichever path answers, the JSON must parse to exactly toObject(),
 * key order included. The captures hold both kinds (events with repeated header names and with
 * bodies cannot be passed through), so both paths are exercised here on real bytes.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeFrame, EslParser, type EslEvent } from '../src/index.js';
import { eventBodies, fixtureBytes, framesOf, requireFixtures } from './support/fixtures.js';

function assertSameObject(json: string, event: EslEvent, label: string): void {
  const parsed = JSON.parse(json) as Record<string, unknown>;
  const expected = event.toObject();
  assert.deepEqual(Object.keys(parsed), Object.keys(expected), `${label}: key order`);
  assert.deepEqual(parsed, expected, label);
}

/** Decodes one `text/event-json` frame around `body` (a fresh, untouched event). */
function jsonEvent(body: string): EslEvent {
  let event: EslEvent | undefined;
  const bytes = Buffer.from(body);
  const parser = new EslParser((raw) => {
    const frame = decodeFrame(raw);
    if (frame.kind === 'event') event = frame.event;
  });
  parser.push(Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\nContent-Type: text/event-json\n\n`), bytes]));
  assert.ok(event !== undefined);
  return event;
}

void test('toJson equals toObject on every captured event, passing FreeSWITCH text through where it can', (t) => {
  if (!requireFixtures(t)) return;
  for (const format of ['plain', 'json', 'xml'] as const) {
    const fresh = framesOf(fixtureBytes(`shared-${format}.bin`)).flatMap((f) => (f.kind === 'event' ? [f.event] : []));
    const again = framesOf(fixtureBytes(`shared-${format}.bin`)).flatMap((f) => (f.kind === 'event' ? [f.event] : []));
    assert.equal(fresh.length, 198);
    for (let i = 0; i < fresh.length; i++) assertSameObject(fresh[i]!.toJson(), again[i]!, `${format} event ${i}`);
  }
  // Which json events went through untouched: their toJson() is the captured text itself.
  const bodies = eventBodies(fixtureBytes('shared-json.bin'));
  let passedThrough = 0;
  for (const body of bodies) {
    const text = body.toString('utf8');
    const event = jsonEvent(text);
    const out = event.toJson();
    if (out === text) passedThrough++;
    assertSameObject(out, jsonEvent(text), 'json capture');
  }
  assert.equal(bodies.length, 198);
  assert.ok(passedThrough > 100, `${passedThrough} of 198 passed through`);
  assert.ok(passedThrough < 198, 'events with repeated names or bodies took the rebuilding path');
});

void test('an escaped text that is the object is passed through as written, not rebuilt', () => {
  // Escapes a rebuild would write otherwise (`\/` as `/`, `\u00e9` as `é`) show which path answered.
  const cases = [
    '{"Event-Name":"CUSTOM","v":"a\\/b \\":"}',
    '{"Event-Name":"CHANNEL_CREATE","Caller-Caller-ID-Name":"caf\\u00e9","variable_sip_full_from":"\\"Alice\\" <sip:a@b>"}',
    '{"Event-Name":"CUSTOM","party":"\\ud83c\\udf89","tab":"a\\tb","path":"c:\\\\d\\\\"}',
  ];
  for (const text of cases) {
    const out = jsonEvent(text).toJson();
    assert.equal(out, text);
    assertSameObject(out, jsonEvent(text), text);
  }
});

void test('toJson falls back to rebuilding for repeats, bodies, non-string values and changed events', () => {
  const cases: Array<[string, string]> = [
    ['repeated name', '{"Event-Name":"CHANNEL_HANGUP","Hangup-Cause":"A","Hangup-Cause":"B"}'],
    // As many `":"` marks as keys: the repeat must still be seen.
    ['repeated name, spaced', '{"Event-Name":"CHANNEL_HANGUP","Hangup-Cause":"A","Hangup-Cause": "B"}'],
    ['body', '{"Event-Name":"CUSTOM","Content-Length":"2","_body":"hi"}'],
    ['number and array', '{"Event-Name":"CUSTOM","n":5,"a":["x","y"]}'],
    // Escapes do not hide a repeat.
    ['repeated name, escaped', '{"Event-Name":"CUSTOM","A":"x\\"","A":"y"}'],
    ['spaced writer', '{ "Event-Name" : "HEARTBEAT", "Up-Time" : "1" }'],
  ];
  for (const [label, text] of cases) {
    const out = jsonEvent(text).toJson();
    assert.notEqual(out, text, label);
    assertSameObject(out, jsonEvent(text), label);
  }
  const plain = '{"Event-Name":"HEARTBEAT","Up-Time":"1"}';
  assert.equal(jsonEvent(plain).toJson(), plain);
  // Values that start with or are a colon are no key marks.
  const colons = '{"Event-Name":"API","FreeSWITCH-IPv6":"::1","v":":","w":"a:\\"b"}';
  assert.equal(jsonEvent(colons).toJson(), colons);
  const changed = jsonEvent(plain).addHeader('X', 'y');
  assert.equal(changed.toJson(), '{"Event-Name":"HEARTBEAT","Up-Time":"1","X":"y"}');
});
