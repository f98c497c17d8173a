/** decodeFrame on hand-made frames: each Content-Type FreeSWITCH sends, and bad event bodies. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeFrame, encodeFrame, EslParser, EslProtocolError, type EslFrame } from '../src/index.js';

function frames(input: string | Buffer): EslFrame[] {
  const out: EslFrame[] = [];
  new EslParser((raw) => out.push(decodeFrame(raw))).push(typeof input === 'string' ? Buffer.from(input) : input);
  return out;
}

function one(input: string | Buffer): EslFrame {
  const all = frames(input);
  assert.equal(all.length, 1);
  return all[0]!;
}

void test('command replies: ok / error, extra headers kept', () => {
  const ok = one('Content-Type: command/reply\nReply-Text: +OK Job-UUID: 7f4d\nJob-UUID: 7f4d\n\n');
  assert.ok(ok.kind === 'command-reply' && ok.ok && ok.replyText === '+OK Job-UUID: 7f4d' && ok.headers.get('Job-UUID') === '7f4d');
  const err = one('Content-Type: command/reply\nReply-Text: -ERR command not found\n\n');
  assert.ok(err.kind === 'command-reply' && !err.ok && err.replyText === '-ERR command not found');
});

void test('api response body, auth request', () => {
  assert.deepStrictEqual(one('Content-Type: api/response\nContent-Length: 6\n\n+OK \u00e9'), { kind: 'api-response', body: '+OK é' });
  assert.deepStrictEqual(one('Content-Type: auth/request\n\n'), { kind: 'auth-request' });
});

void test('log/data: level, channel, file, function, line, user data and text', () => {
  const text = '2026-11-22 06:28:05.424395 [NOTICE] switch_channel.c:1142 New Channel\n';
  const frame = one(
    `Content-Type: log/data\nContent-Length: ${text.length}\nLog-Level: 5\nText-Channel: 3\nLog-File: switch_channel.c\nLog-Func: switch_channel_set_name\nLog-Line: 1142\nUser-Data: 8cb26744\n\n${text}`,
  );
  assert.deepStrictEqual(frame, { kind: 'log', level: 5, channel: '3', file: 'switch_channel.c', func: 'switch_channel_set_name', line: 1142, userData: '8cb26744', text });
  const bare = one('Content-Type: log/data\nContent-Length: 2\n\nhi');
  assert.deepStrictEqual(bare, { kind: 'log', level: 0, channel: undefined, file: undefined, func: undefined, line: undefined, userData: undefined, text: 'hi' });
});

void test('disconnect-notice: linger or not', () => {
  const text = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
  const linger = one(`Content-Type: text/disconnect-notice\nControlled-Session-UUID: ee4d\nContent-Disposition: linger\nContent-Length: ${text.length}\n\n${text}`);
  assert.ok(linger.kind === 'disconnect-notice');
  assert.equal(linger.linger, true);
  assert.equal(linger.text, text);
  assert.equal(linger.headers.get('Controlled-Session-UUID'), 'ee4d');
  const bye = one(`Content-Type: text/disconnect-notice\nContent-Disposition: disconnect\nContent-Length: ${text.length}\n\n${text}`);
  assert.ok(bye.kind === 'disconnect-notice' && bye.linger === false);
});

void test('rude-rejection', () => {
  const text = 'Access Denied, go away.\n';
  assert.deepStrictEqual(one(`Content-Type: text/rude-rejection\nContent-Length: ${text.length}\n\n${text}`), { kind: 'rude-rejection', text });
});

void test('an unknown Content-Type is passed on, not dropped', () => {
  const frame = one('Content-Type: x/new-thing\nContent-Length: 3\nX: y\n\nabc');
  assert.ok(frame.kind === 'unknown' && frame.contentType === 'x/new-thing' && frame.headers.get('X') === 'y' && frame.body?.toString() === 'abc');
});

void test('plain event with its own body: nested Content-Length counted in bytes', () => {
  const body = '+OK 世界\nline two\n';
  const inner = `Event-Name: BACKGROUND_JOB\nJob-UUID: 7f4d\nJob-Command: echo\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
  const frame = one(encodeFrame([['Content-Type', 'text/event-plain']], inner));
  assert.ok(frame.kind === 'event' && frame.format === 'plain');
  assert.equal(frame.event.name, 'BACKGROUND_JOB');
  assert.equal(frame.event.body, body);
  assert.equal(frame.event.getHeader('Content-Length'), undefined, 'structural, not a header');
  assert.deepStrictEqual([...frame.event.headers.keys()], ['Event-Name', 'Job-UUID', 'Job-Command']);
});

void test('json and xml events with bodies', () => {
  const json = one(encodeFrame([['Content-Type', 'text/event-json']], JSON.stringify({ 'Event-Name': 'BACKGROUND_JOB', 'Content-Length': '4', _body: '+OK\n' })));
  assert.ok(json.kind === 'event' && json.event.body === '+OK\n' && json.event.getHeader('Content-Length') === undefined);
  const xmlBody = '<event>\n  <headers>\n    <Event-Name>CUSTOM</Event-Name>\n  </headers>\n  <Content-Length>6</Content-Length>\n  <body>a &lt; b\n  </body>\n</event>\n';
  const xml = one(encodeFrame([['Content-Type', 'text/event-xml']], xmlBody));
  assert.ok(xml.kind === 'event' && xml.event.name === 'CUSTOM' && xml.event.body === 'a < b\n');
});

void test('undecodable event bodies are protocol errors; the framing is intact', () => {
  const bad = [
    ['text/event-json', '{"Event-Name": '],
    ['text/event-json', '[1,2]'],
    ['text/event-xml', '<nope/>'],
    ['text/event-plain', 'Event-Name: X\nno colon\n\n'],
    ['text/event-plain', 'Event-Name: X\nContent-Length: 50\n\nshort'],
  ] as const;
  for (const [type, body] of bad) {
    const raws: Parameters<typeof decodeFrame>[0][] = [];
    new EslParser((r) => raws.push(r)).push(Buffer.concat([encodeFrame([['Content-Type', type]], body), encodeFrame([['Content-Type', 'auth/request']])]));
    assert.equal(raws.length, 2, `${type}: both frames framed`);
    assert.throws(() => decodeFrame(raws[0]!), EslProtocolError, `${type}: ${body}`);
    assert.equal(decodeFrame(raws[1]!).kind, 'auth-request');
  }
});

void test('encodeFrame places Content-Length like FreeSWITCH', () => {
  assert.equal(encodeFrame([['Content-Type', 'api/response']], 'ok').toString(), 'Content-Type: api/response\nContent-Length: 2\n\nok');
  assert.equal(encodeFrame([['Content-Type', 'text/event-plain']], 'x').toString(), 'Content-Length: 1\nContent-Type: text/event-plain\n\nx');
  assert.equal(encodeFrame([['Content-Type', 'command/reply'], ['Reply-Text', '+OK']]).toString(), 'Content-Type: command/reply\nReply-Text: +OK\n\n');
});
