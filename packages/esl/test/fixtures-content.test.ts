/**
 * What the captures hold, frame kind by frame kind, and the command transcript step by step:
 * every reply's headers in wire order and its deterministic body, as our parser decodes them.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeFrame, EslParser, type EslFrame, type RawFrame } from '../src/index.js';
import { fixtureBytes, fixtureJson, framesOf, rawFramesOf, requireFixtures } from './support/fixtures.js';

function kinds(frames: EslFrame[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of frames) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  return counts;
}

for (const format of ['plain', 'json', 'xml'] as const) {
  void test(`shared-${format}.bin: auth request, 2 command replies, 198 ${format} events`, (t) => {
    if (!requireFixtures(t)) return;
    const frames = framesOf(fixtureBytes(`shared-${format}.bin`));
    assert.deepStrictEqual(kinds(frames), { 'auth-request': 1, 'command-reply': 2, event: 198 });
    assert.deepStrictEqual(
      frames.slice(1, 3).map((f) => f.kind === 'command-reply' && [f.ok, f.replyText]),
      [
        [true, '+OK accepted'],
        [true, `+OK event listener enabled ${format}`],
      ],
    );
    for (const f of frames) {
      if (f.kind !== 'event') continue;
      assert.equal(f.format, format);
      assert.ok(f.event.name !== '', 'every event has an Event-Name');
      assert.ok(f.event.getHeader('Event-Sequence')?.match(/^\d+$/), 'every event has a numeric Event-Sequence');
    }
  });
}

void test('shared-log.bin: 1004 log/data frames with their fields', (t) => {
  if (!requireFixtures(t)) return;
  const frames = framesOf(fixtureBytes('shared-log.bin'));
  assert.deepStrictEqual(kinds(frames), { 'auth-request': 1, 'command-reply': 2, log: 1004 });
  const first = frames[3];
  assert.deepStrictEqual(first, {
    kind: 'log',
    level: 7,
    channel: '3',
    file: 'switch_ivr_originate.c',
    func: 'switch_ivr_originate',
    line: 2301,
    userData: '',
    text: '2026-11-22 06:28:05.424395 98.90% [DEBUG] switch_ivr_originate.c:2301 Parsing global variables\n',
  });
  for (const f of frames) {
    if (f.kind !== 'log') continue;
    assert.ok(f.level >= 0 && f.level <= 7, `log level ${f.level}`);
    assert.ok(f.text.length > 0);
  }
});

void test('shared-control.bin: the scenario driver saw replies and api responses only', (t) => {
  if (!requireFixtures(t)) return;
  assert.deepStrictEqual(kinds(framesOf(fixtureBytes('shared-control.bin'))), { 'auth-request': 1, 'command-reply': 5, 'api-response': 6 });
});

interface TranscriptStep {
  step: string;
  /** Absent for the final `socket closed` step: no frame, the connection ends. */
  headers?: Array<[string, string]>;
  body?: string | string[];
}

// `<uuid>` and `<n>` stand for values the capture anonymised; anything else must match exactly.
function placeholderPattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/<uuid>/g, '[0-9a-f-]{36}').replace(/<n>/g, '\\d+').replace(/<v>/g, '.+?')}$`, 's');
}

void test('command-transcript.bin: 1 auth request, 30 replies, 13 api responses, 2 events, 1 disconnect notice', (t) => {
  if (!requireFixtures(t)) return;
  const frames = framesOf(fixtureBytes('command-transcript.bin'));
  assert.deepStrictEqual(kinds(frames), { 'auth-request': 1, 'command-reply': 30, 'api-response': 13, event: 2, 'disconnect-notice': 1 });
});

void test('command-transcript.json: each step matches the decoded reply (headers in wire order, bodies)', (t) => {
  if (!requireFixtures(t)) return;
  const all = fixtureJson<TranscriptStep[]>('command-transcript.json');
  const steps = all.filter((s): s is TranscriptStep & { headers: Array<[string, string]> } => s.headers !== undefined);
  assert.deepStrictEqual(all.filter((s) => s.headers === undefined).map((s) => s.step), ['socket closed']);
  // rawFramesOf also checks that no byte is left after the last frame (the socket closed).
  const raws: RawFrame[] = rawFramesOf([fixtureBytes('command-transcript.bin')]);
  assert.equal(raws.length, steps.length, 'one frame per transcript step');
  steps.forEach((step, i) => {
    const raw = raws[i]!;
    const got = [...raw.headers];
    assert.equal(got.length, step.headers.length, `${step.step}: header count`);
    step.headers.forEach(([name, value], h) => {
      assert.equal(got[h]![0], name, `${step.step}: header ${h} name`);
      assert.match(got[h]![1], placeholderPattern(value), `${step.step}: ${name}`);
    });
    if (step.body !== undefined) {
      const body = Array.isArray(step.body) ? step.body.join('\n') : step.body;
      const frame = decodeFrame(raw);
      const text = frame.kind === 'api-response' || frame.kind === 'disconnect-notice' ? frame.kind === 'api-response' ? frame.body : frame.text : raw.body?.toString('utf8');
      assert.match(text ?? '', placeholderPattern(body), `${step.step}: body`);
    }
  });
  const last = decodeFrame(raws.at(-1)!);
  assert.equal(last.kind, 'disconnect-notice');
  assert.equal(last.kind === 'disconnect-notice' && last.linger, false);
});

interface OutboundChunk {
  dir: 'in' | 'out';
  data: string;
}

void test('shared-outbound.json: the connect reply carries URL-encoded channel data, decoded', (t) => {
  if (!requireFixtures(t)) return;
  const chunks = fixtureJson<OutboundChunk[]>('shared-outbound.json');
  const frames: EslFrame[] = [];
  const parser = new EslParser((raw) => frames.push(decodeFrame(raw)));
  for (const c of chunks) if (c.dir === 'in') parser.push(Buffer.from(c.data, 'base64'));
  assert.equal(parser.bufferedBytes, 0);
  const connect = frames[0]!;
  assert.equal(connect.kind, 'command-reply');
  if (connect.kind !== 'command-reply') return;
  // FreeSWITCH URL-encodes the outer headers here: `Reply-Text: %2BOK%0A`.
  assert.equal(connect.replyText, '+OK\n');
  assert.equal(connect.ok, true);
  assert.equal(connect.headers.get('Event-Name'), 'CHANNEL_DATA');
  assert.equal(connect.headers.get('Socket-Mode'), 'async');
  assert.equal(connect.headers.get('Control'), 'full');
  assert.equal(connect.headers.get('FreeSWITCH-IPv6'), 'fd00::2');
  assert.equal(connect.headers.get('variable_current_application_data'), '127.0.0.1:8084 async full');
  assert.equal(connect.headers.get('Channel-Caller-ID-Number'), '0000000000');
  const replies = frames.flatMap((f) => (f.kind === 'command-reply' ? [f.replyText] : []));
  assert.deepStrictEqual(replies, ['+OK\n', '+OK Events Enabled', '+OK will linger', '+OK', '+OK', '0000000000', '+OK', '+OK bye']);
  const events = frames.flatMap((f) => (f.kind === 'event' ? [f.event.name] : []));
  for (const name of ['CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP']) assert.ok(events.includes(name), `${name} received`);
  assert.ok(
    frames.every((f) => f.kind === 'command-reply' || f.kind === 'event' || f.kind === 'disconnect-notice'),
    'nothing but replies, events and the final notice',
  );
  const notice = frames.at(-1)!;
  assert.ok(notice.kind === 'disconnect-notice' && !notice.linger && notice.headers.get('Content-Disposition') === 'disconnect');
});
