/**
 * The framing parser on hand-made input: framing rules, limits, the failed state, and proof
 * by work counters (not timing) that input is never re-joined or re-scanned per push.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslParser, EslProtocolError, type RawFrame } from '../src/index.js';
import { MAX_SKIPPED_BODY_BYTES, parserWork } from '../src/parser.js';

function parse(input: string | Buffer, options?: ConstructorParameters<typeof EslParser>[1]): RawFrame[] {
  const frames: RawFrame[] = [];
  new EslParser((f) => frames.push(f), options).push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  return frames;
}

void test('frames without and with a body; header order is not assumed', () => {
  const frames = parse('Content-Type: auth/request\n\nContent-Length: 5\nContent-Type: api/response\n\nhello' + 'Content-Type: command/reply\nReply-Text: +OK\n\n');
  assert.equal(frames.length, 3);
  assert.deepStrictEqual([...frames[0]!.headers], [['Content-Type', 'auth/request']]);
  assert.equal(frames[0]!.body, undefined);
  assert.deepStrictEqual([...frames[1]!.headers], [['Content-Length', '5'], ['Content-Type', 'api/response']]);
  assert.equal(frames[1]!.body?.toString(), 'hello');
  assert.equal(frames[2]!.headers.get('Reply-Text'), '+OK');
});

void test('Content-Length counts bytes, not characters', () => {
  const body = 'héllo → 世界 🎉\n';
  const frames = parse(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}Content-Type: auth/request\n\n`);
  assert.equal(frames.length, 2);
  assert.equal(frames[0]!.body?.toString('utf8'), body);
});

void test('a body may hold blank lines and header-like text', () => {
  const body = 'Event-Name: X\n\nContent-Length: 99\n\n';
  const frames = parse(`Content-Type: text/event-plain\nContent-Length: ${body.length}\n\n${body}`);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.body?.toString(), body);
});

void test("the connect reply's values (a serialised event) are URL-decoded; + stays +; bad escapes stay literal", () => {
  const [frame] = parse('Event-Name: CHANNEL_DATA\nContent-Type: command/reply\nReply-Text: %2BOK%0A\nX-Plus: a+b\nX-Bad: 100%zz %\n\n');
  assert.equal(frame!.headers.get('Reply-Text'), '+OK\n');
  assert.equal(frame!.headers.get('X-Plus'), 'a+b');
  assert.equal(frame!.headers.get('X-Bad'), '100%zz %');
});

void test('other replies are taken as written: a getvar value keeps its % escapes', () => {
  // mod_event_socket writes `Reply-Text: %s` with the variable's raw value.
  const [frame] = parse('Content-Type: command/reply\nReply-Text: alice%40example.com 100%25\n\n');
  assert.equal(frame!.headers.get('Reply-Text'), 'alice%40example.com 100%25');
});

void test('blank lines between frames are tolerated', () => {
  const frames = parse('\n\nContent-Type: auth/request\n\n\n\nContent-Type: auth/request\n\n');
  assert.equal(frames.length, 2);
});

void test('bufferedBytes counts what is not yet a frame', () => {
  const frames: RawFrame[] = [];
  const parser = new EslParser((f) => frames.push(f));
  parser.push(Buffer.from('Content-Type: api/response\nContent-'));
  assert.equal(parser.bufferedBytes, 35);
  parser.push(Buffer.from('Length: 4\n\nab'));
  assert.equal(parser.bufferedBytes, 2, 'header block consumed, two body bytes wait');
  assert.equal(frames.length, 0);
  parser.push(Buffer.from('cdContent-Type: auth'));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.body?.toString(), 'abcd');
  assert.equal(parser.bufferedBytes, 18);
  parser.push(new Uint8Array(Buffer.from('/request\n\n')));
  assert.equal(frames.length, 2);
  assert.equal(parser.bufferedBytes, 0);
});

function expectFailedForever(parser: EslParser, push: () => void, pattern: RegExp): void {
  let first: unknown;
  assert.throws(push, (err) => {
    first = err;
    return err instanceof EslProtocolError && err.code === 'FSBUS_ERR_ESL_PROTOCOL' && pattern.test(err.message);
  });
  assert.equal(parser.bufferedBytes, 0, 'input dropped');
  assert.throws(() => parser.push(Buffer.from('Content-Type: auth/request\n\n')), (err) => err === first, 'stays failed');
}

void test('an oversized header block fails the parser for good', () => {
  const parser = new EslParser(() => assert.fail('no frame expected'), { maxHeaderBytes: 64 });
  expectFailedForever(parser, () => parser.push(Buffer.from(`X-Long: ${'a'.repeat(100)}`)), /header block exceeds 64 bytes/);
});

void test('the header limit holds however the block arrives (one chunk or many)', () => {
  const block = Buffer.from(`Content-Type: x\nX-Long: ${'a'.repeat(100)}\n\n`);
  assert.throws(() => parse(block, { maxHeaderBytes: 64 }), EslProtocolError);
  const parser = new EslParser(() => {}, { maxHeaderBytes: 64 });
  assert.throws(() => {
    for (let i = 0; i < block.length; i++) parser.push(block.subarray(i, i + 1));
  }, EslProtocolError);
});

void test('a body over the limit is skipped, never buffered whole, and the frames after it parse (one chunk or byte by byte)', () => {
  const input = Buffer.from(`Content-Type: api/response\nContent-Length: 25\n\n${'x'.repeat(25)}Content-Type: api/response\nContent-Length: 2\n\nok`);
  for (const step of [input.length, 1, 7]) {
    const frames: RawFrame[] = [];
    const parser = new EslParser((f) => frames.push(f), { maxBodyBytes: 10 });
    let most = 0;
    for (let i = 0; i < input.length; i += step) {
      parser.push(input.subarray(i, i + step));
      most = Math.max(most, parser.bufferedBytes);
    }
    assert.equal(frames.length, 2, `step ${step}`);
    assert.equal(frames[0]!.oversize, 25);
    assert.equal(frames[0]!.body, undefined);
    assert.equal(frames[1]!.oversize, undefined);
    assert.equal(frames[1]!.body?.toString(), 'ok');
    assert.ok(step === input.length || most <= 2 * step + 64, `step ${step}: ${most} bytes held at most`);
  }
});

void test('a Content-Length beyond any FreeSWITCH reply (over 1 GiB) fails the parser for good: a broken stream, not a body to skip', () => {
  const parser = new EslParser(() => assert.fail('no frame expected'), { maxBodyBytes: 10 });
  expectFailedForever(parser, () => parser.push(Buffer.from(`Content-Type: api/response\nContent-Length: ${MAX_SKIPPED_BODY_BYTES + 1}\n\n`)), /exceeds the limit of 10/);
});

void test('a bad Content-Length is a protocol error', () => {
  for (const input of ['Content-Length: -1\n\n', 'Content-Length: 1e3\n\n', 'Content-Length: \n\n', 'Content-Length: 9999999999999999\n\n']) {
    const parser = new EslParser(() => {});
    expectFailedForever(parser, () => parser.push(Buffer.from(input)), /Content-Length/);
  }
});

void test('a raw multi-line value (getvar of an SDP) goes on over the lines that are not headers; one before any header is dropped', () => {
  // mod_event_socket writes `Reply-Text: %s` raw: each line of the value is a line of the block.
  const sdp = 'v=0\r\no=- 1 2 IN IP6 ::1\r\ns=-\r\na=rtpmap:0 PCMU/8000\r\n: odd\r\nplain text';
  const wire = `Content-Type: command/reply\nReply-Text: ${sdp}\n\nstray line\nContent-Type: command/reply\nReply-Text: +OK Job-UUID: j1\nJob-UUID: j1\n\n`;
  for (const step of [wire.length, 1, 7]) {
    const frames: RawFrame[] = [];
    const parser = new EslParser((f) => frames.push(f));
    const bytes = Buffer.from(wire);
    for (let i = 0; i < bytes.length; i += step) parser.push(bytes.subarray(i, i + step));
    assert.equal(frames.length, 2, `step ${step}`);
    assert.deepStrictEqual([...frames[0]!.headers], [['Content-Type', 'command/reply'], ['Reply-Text', sdp]], `step ${step}`);
    assert.deepStrictEqual([...frames[1]!.headers], [['Content-Type', 'command/reply'], ['Reply-Text', '+OK Job-UUID: j1'], ['Job-UUID', 'j1']], `step ${step}`);
  }
});

void test('lines without colons make a frame with no headers, not a protocol error', () => {
  const lines = 'x'.repeat(40) + '\n';
  const frames = parse(`${lines.repeat(20_000)}\nContent-Type: auth/request\n\n`);
  assert.equal(frames.length, 2);
  assert.equal(frames[0]!.headers.size, 0);
  assert.equal(frames[1]!.headers.get('Content-Type'), 'auth/request');
});

void test('chunks are kept in a list: nothing is copied until a frame completes, then once', () => {
  const body = Buffer.alloc(200_000, 0x61);
  const wire = Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${body.length}\n\n`), body]);
  const before = { ...parserWork };
  const frames: RawFrame[] = [];
  const parser = new EslParser((f) => frames.push(f));
  const chunk = 1000;
  for (let i = 0; i < wire.length - 1; i += chunk) {
    parser.push(wire.subarray(i, Math.min(i + chunk, wire.length - 1)));
    assert.ok(parserWork.copiedBytes - before.copiedBytes <= wire.length - body.length, 'only the header block may have been joined');
  }
  parser.push(wire.subarray(wire.length - 1));
  assert.equal(frames.length, 1);
  assert.ok(frames[0]!.body!.equals(body));
  assert.ok(parserWork.copiedBytes - before.copiedBytes <= wire.length, 'each byte copied at most once');
});

void test('1 MB fed one byte at a time costs linear work (header search and copies counted)', () => {
  const header = `Content-Type: text/plain\nX-Big: ${'h'.repeat(512 * 1024)}\nContent-Length: ${512 * 1024}\n\n`;
  const wire = Buffer.concat([Buffer.from(header), Buffer.alloc(512 * 1024, 0x62)]);
  const before = { ...parserWork };
  const frames: RawFrame[] = [];
  const parser = new EslParser((f) => frames.push(f), { maxHeaderBytes: 2 * 1024 * 1024 });
  for (let i = 0; i < wire.length; i++) {
    parser.push(wire.subarray(i, i + 1));
    // Checked as it goes, so a quadratic parser fails here instead of running for hours.
    if (i % 4096 === 0) assert.ok(parserWork.chunkVisits - before.chunkVisits <= i + 1, `after ${i + 1} pushes`);
  }
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.headers.get('X-Big')?.length, 512 * 1024);
  assert.equal(frames[0]!.body?.length, 512 * 1024);
  assert.equal(parser.bufferedBytes, 0);
  const visits = parserWork.chunkVisits - before.chunkVisits;
  const copied = parserWork.copiedBytes - before.copiedBytes;
  // Quadratic behaviour would mean ~n²/2 ≈ 5·10¹¹ visits; linear is at most one per chunk pushed.
  assert.ok(visits <= header.length + 1, `header search visited ${visits} chunks for ${header.length} pushes`);
  assert.ok(copied <= wire.length, `copied ${copied} bytes of ${wire.length}`);
});

void test('an error thrown by onFrame passes through and does not fail the parser', () => {
  const seen: string[] = [];
  let throwOnce = true;
  const parser = new EslParser((f) => {
    seen.push(f.headers.get('Reply-Text') ?? '');
    if (throwOnce) {
      throwOnce = false;
      throw new EslProtocolError('bad event body (from the consumer)');
    }
  });
  const two = Buffer.from('Content-Type: command/reply\nReply-Text: one\n\nContent-Type: command/reply\nReply-Text: two\n\n');
  assert.throws(() => parser.push(two), /from the consumer/);
  assert.deepStrictEqual(seen, ['one']);
  parser.push(Buffer.from('Content-Type: command/reply\nReply-Text: three\n\n'));
  assert.deepStrictEqual(seen, ['one', 'two', 'three'], 'still buffered frames come with the next push');
});
