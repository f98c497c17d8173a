import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { eventNameOf } from '@fsbus/esl';
import { CommandReader, type CommandPacket } from '../src/listener/command-reader.js';
import { Acl } from '../src/listener/acl.js';
import { FilterList, logLevel } from '../src/listener/subscriptions.js';
import { jsonEventBody, plainEventBody, xmlEventBody } from '../src/listener/wire-frames.js';
import type { CoreEvent } from '../src/core/types.js';

function read(chunks: readonly string[]): CommandPacket[] {
  const out: CommandPacket[] = [];
  const reader = new CommandReader((p) => out.push(p));
  for (const c of chunks) reader.push(Buffer.from(c));
  return out;
}

function event(headers: Array<[string, string]>): CoreEvent {
  return { name: 'CUSTOM', subclass: undefined, headers, body: undefined, uuid: undefined, sequence: 1 };
}

void describe('command reader (read_packet)', () => {
  const text = '\r\n\nsendmsg\r\ncall-command: execute\nexecute-app-arg:   %41 literal\nno colon here\ncontent-length: 5\n\nhelloapi status\n\n';

  void it('reads commands as FreeSWITCH does, whole, byte by byte and at every split', () => {
    const expected: CommandPacket[] = [
      {
        command: 'sendmsg',
        headers: [['Command', 'sendmsg'], ['call-command', 'execute'], ['execute-app-arg', '%41 literal'], ['content-length', '5']],
        body: 'hello',
        rawHead: 'sendmsg\r\ncall-command: execute\nexecute-app-arg:   %41 literal\nno colon here\ncontent-length: 5\n\n',
      },
      { command: 'api status', headers: [['Command', 'api status']], body: undefined, rawHead: 'api status\n\n' },
    ];
    assert.deepEqual(read([text]), expected);
    assert.deepEqual(read([...text]), expected);
    for (let i = 1; i < text.length; i++) assert.deepEqual(read([text.slice(0, i), text.slice(i)]), expected, `split at ${i}`);
  });

  void it('reports a partial command (events are held meanwhile)', () => {
    const reader = new CommandReader(() => undefined);
    assert.equal(reader.hasPartial, false);
    reader.push(Buffer.from('api st'));
    assert.equal(reader.hasPartial, true);
    reader.push(Buffer.from('atus\n\n'));
    assert.equal(reader.hasPartial, false);
  });
});

void describe('names, levels, filters, ACL', () => {
  void it('switch_name_event: any case, with or without SWITCH_EVENT_', () => {
    assert.equal(eventNameOf('channel_answer'), 'CHANNEL_ANSWER');
    assert.equal(eventNameOf('SWITCH_EVENT_HEARTBEAT'), 'HEARTBEAT');
    assert.equal(eventNameOf('all'), 'ALL');
    assert.equal(eventNameOf('NO_SUCH_EVENT'), undefined);
  });

  void it('switch_log_str2level: names and clamped numbers', () => {
    assert.equal(logLevel('debug'), 7);
    assert.equal(logLevel('ERR'), 3);
    assert.equal(logLevel('0'), 0);
    assert.equal(logLevel('200'), 63);
    assert.equal(logLevel('-3'), 0);
    assert.equal(logLevel('disable'), -1);
    assert.equal(logLevel('64'), undefined);
    assert.equal(logLevel('nonsense'), undefined);
  });

  void it('filters: only negative filters let nothing through', () => {
    const filters = new FilterList();
    filters.add('X-Tag', '-bad');
    assert.equal(filters.passes(event([['X-Tag', 'good']])), false);
    filters.add('X-Tag', '/^go+d$/i');
    assert.equal(filters.passes(event([['X-Tag', 'GOOD']])), true);
    assert.equal(filters.passes(event([['X-Tag', 'bad']])), false);
    filters.delete('x-tag', undefined);
    assert.equal(filters.size, 0);
  });

  void it('filters: an empty value adds nothing and removes every filter on the header; an empty delete value removes all', () => {
    const filters = new FilterList();
    filters.add('X-Tag', 'one');
    filters.add('X-Tag', 'two');
    filters.add('X-Other', 'x');
    // switch_event_add_header_string with "" deletes the header (every value) instead of adding.
    filters.add('x-tag', '');
    assert.equal(filters.size, 1);
    assert.equal(filters.passes(event([['X-Tag', 'one'], ['X-Other', 'x']])), true);
    filters.add('X-Tag', 'one');
    // switch_event_del_header_val: zstr(val) deletes whatever the value.
    filters.delete('X-Other', '');
    filters.delete('X-Tag', '');
    assert.equal(filters.size, 0);
  });

  void it('ACL: CIDRs of both families, IPv4-mapped addresses', () => {
    const acl = new Acl(['127.0.0.0/8', '::1/128', '10.1.0.0/16']);
    assert.ok(acl.allows('127.0.0.1'));
    assert.ok(acl.allows('::ffff:127.0.0.1'));
    assert.ok(acl.allows('::1'));
    assert.ok(acl.allows('10.1.200.3'));
    assert.ok(!acl.allows('10.2.0.1'));
    assert.ok(!acl.allows('::2'));
    assert.ok(!acl.allows(undefined));
  });
});

void describe('event bodies', () => {
  const headers: Array<[string, string]> = [['Event-Name', 'CUSTOM'], ['Empty', ''], ['Content-Length', '3'], ['List', 'ARRAY::a b|:c']];

  void it('plain: URL-encoded, _undef_ for empty, the own Content-Length kept', () => {
    assert.equal(plainEventBody(headers, 'abc'), 'Event-Name: CUSTOM\nEmpty: _undef_\nContent-Length: 3\nList: ARRAY%3A%3Aa%20b%7C%3Ac\nContent-Length: 3\n\nabc');
  });

  void it('json: arrays for ARRAY:: values, duplicates kept', () => {
    assert.equal(jsonEventBody(headers, 'abc'), '{"Event-Name":"CUSTOM","Empty":"","Content-Length":"3","List":["a b","c"],"Content-Length":"3","_body":"abc"}');
  });

  void it('json: names quoted once and reused stay exact, also after the name cache starts over', () => {
    const odd: Array<[string, string]> = [['X-"Quoted"\\Name', 'v"1'], ['Event-Name', 'CUSTOM']];
    const expected = '{"X-\\"Quoted\\"\\\\Name":"v\\"1","Event-Name":"CUSTOM"}';
    assert.equal(jsonEventBody(odd, undefined), expected);
    assert.equal(jsonEventBody(odd, undefined), expected);
    // More distinct names than the cache holds (sendevent lets clients make names up).
    for (let i = 0; i < 5000; i++) {
      const made: Array<[string, string]> = [[`X-Made-Up-${i}`, String(i)]];
      assert.deepEqual(JSON.parse(jsonEventBody(made, undefined)), { [`X-Made-Up-${i}`]: String(i) });
    }
    assert.equal(jsonEventBody(odd, undefined), expected);
    assert.deepEqual(JSON.parse(expected), { 'X-"Quoted"\\Name': 'v"1', 'Event-Name': 'CUSTOM' });
  });

  void it('an empty body (a BACKGROUND_JOB of an api with no output) differs from none only in json', () => {
    const h: Array<[string, string]> = [['Event-Name', 'BACKGROUND_JOB']];
    // switch_event_serialize_json tests event->body, not its length; serialize and xmlize test the length.
    assert.equal(jsonEventBody(h, ''), '{"Event-Name":"BACKGROUND_JOB","Content-Length":"0","_body":""}');
    assert.equal(jsonEventBody(h, undefined), '{"Event-Name":"BACKGROUND_JOB"}');
    assert.equal(plainEventBody(h, ''), 'Event-Name: BACKGROUND_JOB\n\n');
    assert.equal(plainEventBody(h, ''), plainEventBody(h, undefined));
    assert.equal(xmlEventBody(h, ''), '<event>\n  <headers>\n    <Event-Name>BACKGROUND_JOB</Event-Name>\n  </headers>\n</event>\n');
    assert.equal(xmlEventBody(h, ''), xmlEventBody(h, undefined));
  });

  void it('xml: one element per array item, an empty value between two tags as FreeSWITCH writes it, body escaped', () => {
    assert.equal(
      xmlEventBody(headers, 'a<b'),
      '<event>\n  <headers>\n    <Event-Name>CUSTOM</Event-Name>\n    <Empty></Empty>\n    <Content-Length>3</Content-Length>\n' +
        '    <List>a%20b</List>\n    <List>c</List>\n  </headers>\n  <Content-Length>3</Content-Length>\n  <body>a&lt;b  </body>\n</event>\n',
    );
  });
});
