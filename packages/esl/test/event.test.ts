/** EslEvent: header access, arrays, `_undef_`, edits, and lazy decoding that answers like eager. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeFrame, encodeFrame, EslEvent, EslParser, UNDEF_VALUE, type EventFormat } from '../src/index.js';

function decode(format: EventFormat, serialised: string): EslEvent {
  const events: EslEvent[] = [];
  new EslParser((raw) => {
    const frame = decodeFrame(raw);
    if (frame.kind === 'event') events.push(frame.event);
  }).push(encodeFrame([['Content-Type', `text/event-${format}`]], serialised));
  assert.equal(events.length, 1);
  return events[0]!;
}

void test('_undef_ reads as absent; the raw value stays in headers', () => {
  const event = new EslEvent({ 'Event-Name': 'CHANNEL_CREATE', 'Caller-ANI': UNDEF_VALUE });
  assert.equal(event.getHeader('Caller-ANI'), undefined);
  assert.equal(event.getHeaderArray('Caller-ANI'), undefined);
  assert.equal(event.headers.get('Caller-ANI'), '_undef_');
  for (const format of ['plain', 'json', 'xml'] as const) assert.equal(decode(format, event.serialize(format)).getHeader('Caller-ANI'), undefined, format);
});

void test('ARRAY::a|:b headers read as arrays, in every format', () => {
  const event = new EslEvent([['Event-Name', 'CUSTOM']]).addHeaderArray('X-List', ['a', 'b c', 'd|e']);
  assert.equal(event.headers.get('X-List'), 'ARRAY::a|:b c|:d|e');
  assert.deepStrictEqual(event.getHeaderArray('X-List'), ['a', 'b c', 'd|e']);
  assert.deepStrictEqual(event.getHeaderArray('Event-Name'), ['CUSTOM'], 'a plain header is a one-item array');
  assert.match(event.serialize('json'), /"X-List":\["a","b c","d\|e"\]/);
  assert.match(event.serialize('xml'), /<X-List>a<\/X-List>\n {4}<X-List>b%20c<\/X-List>\n {4}<X-List>d%7Ce<\/X-List>/);
  for (const format of ['plain', 'json', 'xml'] as const) assert.deepStrictEqual(decode(format, event.serialize(format)).getHeaderArray('X-List'), ['a', 'b c', 'd|e'], format);
});

void test('name, subclass, uuid, getType, body; create() like modesl', () => {
  const event = EslEvent.create('CUSTOM', 'fsbus::demo').addHeader('Unique-ID', 'u-1').addBody('line1\n').addBody('line2\n');
  assert.equal(event.name, 'CUSTOM');
  assert.equal(event.getType(), 'CUSTOM');
  assert.equal(event.subclass, 'fsbus::demo');
  assert.equal(event.uuid, 'u-1');
  assert.equal(event.getBody(), 'line1\nline2\n');
  assert.deepStrictEqual(event.toObject(), { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'fsbus::demo', 'Unique-ID': 'u-1' });
  assert.equal(new EslEvent().name, '');
  assert.equal(new EslEvent(undefined, '').body, undefined);
});

void test('Content-Length is structural: never kept, never added as a header', () => {
  const event = new EslEvent([['Event-Name', 'X'], ['Content-Length', '99']], 'abc');
  assert.equal(event.headers.has('Content-Length'), false);
  event.addHeader('Content-Length', '5');
  assert.equal(event.headers.has('Content-Length'), false);
  assert.equal(event.serialize('plain'), 'Event-Name: X\nContent-Length: 3\n\nabc');
});

void test('the constructor copies its input; edits show in serialize', () => {
  const source = new Map([['Event-Name', 'X']]);
  const event = new EslEvent(source);
  source.set('Late', 'no');
  assert.equal(event.getHeader('Late'), undefined);
  event.addHeader('A', '1').addHeader('B', '2').delHeader('A').setBody('hi');
  assert.equal(event.serialize('plain'), 'Event-Name: X\nB: 2\nContent-Length: 2\n\nhi');
  event.setBody(undefined);
  assert.equal(event.serialize('plain'), 'Event-Name: X\nB: 2\n\n');
});

void test('a decoded (lazy) event answers many lookups, then edits and serialises like an eager one', () => {
  for (const format of ['plain', 'json'] as const) {
    const original = new EslEvent([
      ['Event-Name', 'CHANNEL_ANSWER'],
      ['Unique-ID', 'u-1'],
      ['Caller-Caller-ID-Name', 'Alice Ünïcode: 100%'],
      ['Channel-State', 'CS_EXECUTE'],
      ['Answer-State', 'answered'],
      ['variable_x', UNDEF_VALUE],
    ]);
    const event = decode(format, original.serialize(format));
    for (let round = 0; round < 3; round++) {
      // More lookups than the lazy path serves before building the Map: answers never change.
      for (const [name, value] of original.headers) assert.equal(event.getHeader(name), value === UNDEF_VALUE ? undefined : value, `${format} ${name}`);
      assert.equal(event.getHeader('Missing'), undefined);
      assert.equal(event.getHeader('Content-Length'), undefined);
    }
    assert.equal(event.name, 'CHANNEL_ANSWER');
    event.addHeader('X-New', 'n').delHeader('Answer-State');
    assert.deepStrictEqual([...event.headers.keys()], ['Event-Name', 'Unique-ID', 'Caller-Caller-ID-Name', 'Channel-State', 'variable_x', 'X-New']);
    assert.match(event.serialize('plain'), /\nX-New: n\n\n$/);
  }
});

void test('an edit made first on a lazy event keeps the wire order', () => {
  const event = decode('plain', 'Event-Name: HEARTBEAT\nCore-UUID: c\nUp-Time: 1\n\n');
  event.addHeader('Core-UUID', 'd');
  assert.deepStrictEqual([...event.headers], [['Event-Name', 'HEARTBEAT'], ['Core-UUID', 'd'], ['Up-Time', '1']]);
});

void test('repeated plain headers: first position, last value, lazily and eagerly', () => {
  const lazy = decode('plain', 'Event-Name: COMMAND\nA: 1\nEvent-Name: PRIVATE_COMMAND\nB: 2\n\n');
  assert.equal(lazy.name, 'PRIVATE_COMMAND');
  assert.deepStrictEqual([...lazy.headers], [['Event-Name', 'PRIVATE_COMMAND'], ['A', '1'], ['B', '2']]);
});

void test('xml: an empty value as FreeSWITCH writes it (<Name></Name>) or self-closed (<Name/>) is an empty header, not a dropped one', () => {
  for (const empty of ['<variable_x></variable_x>', '<variable_x/>']) {
    const event = decode('xml', `<event>\n  <headers>\n    <Event-Name>CUSTOM</Event-Name>\n    ${empty}\n    <Unique-ID>u1</Unique-ID>\n  </headers>\n</event>\n`);
    assert.deepStrictEqual([...event.headers], [['Event-Name', 'CUSTOM'], ['variable_x', ''], ['Unique-ID', 'u1']], empty);
  }
});

void test('xml: consecutive elements of one name are an array; a later repeat is a repeated header', () => {
  const xml = '<event>\n  <headers>\n    <Event-Name>A</Event-Name>\n    <L>1</L>\n    <L>2</L>\n    <X>y</X>\n    <Event-Name>B</Event-Name>\n  </headers>\n</event>\n';
  const event = decode('xml', xml);
  assert.deepStrictEqual(event.getHeaderArray('L'), ['1', '2']);
  assert.equal(event.name, 'B');
  assert.deepStrictEqual([...event.headers.keys()], ['Event-Name', 'L', 'X']);
});
