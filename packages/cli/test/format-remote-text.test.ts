// The event line and the status table print what callers and bus publishers chose (caller id,
// channel name, node id, status fields): escaped, on one line, colours on or off; the CLI's own
// colour codes stay.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { BusEvent, type AgentStatus } from '@fsbus/client';
import { colors, eventDetail, formatEventLine, statusTable } from '../src/bus/format.js';

const ESC = '\x1b';
const EVIL = `1000${ESC}]52;c;${Buffer.from('rm -rf ~').toString('base64')}\x07${ESC}[2J\u202Eevil\0`;
/** Anything a terminal acts on, but the CLI's own SGR colour codes (`ESC [ <n> m`). */
const FOREIGN_CONTROL = /\x1b(?!\[\d+m)|[\x00-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const evilEvent = (): BusEvent =>
  new BusEvent('freeswitch.events.channel.create', {
    event_name: 'CHANNEL_CREATE',
    node_id: `fs-01${ESC}[1A`,
    timestamp: Date.UTC(2026, 0, 1, 12) * 1000,
    uuid: `abc${ESC}[2Jdef12-0000`,
    headers: {
      'Caller-Caller-ID-Number': EVIL,
      'Caller-Destination-Number': `9000${ESC}[31mRED\n12:00:00.000 fs-01 CHANNEL_HANGUP forged`,
      'Channel-Name': `sofia/internal/x${ESC}[8m`,
    },
  });

void test("formatEventLine: the review's event is one line, escaped, colours on or off", () => {
  for (const tty of [true, false]) {
    const line = formatEventLine(evilEvent(), colors({}, tty));
    assert.doesNotMatch(line, FOREIGN_CONTROL, JSON.stringify(line));
    assert.ok(!line.includes('\n'), line);
    assert.ok(line.includes('1000\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2J\\u202eevil\\x00'), line);
    assert.ok(line.includes('9000\\x1b[31mRED\\n12:00:00.000 fs-01 CHANNEL_HANGUP forged'), line);
    assert.ok(line.includes('sofia/internal/x\\x1b[8m'), line);
    assert.ok(line.includes(' fs-01\\x1b[1A '), line);
  }
  // Without colours nothing at all is a control; with them, only the CLI's own SGR codes.
  assert.doesNotMatch(formatEventLine(evilEvent(), colors({ NO_COLOR: '1' }, true)), /[\x00-\x1f]/);
  assert.match(formatEventLine(evilEvent(), colors({}, true)), /\x1b\[32mCHANNEL_CREATE\s+\x1b\[0m/);
});

void test('eventDetail: a CUSTOM subclass, a job result and an application from the bus are escaped too', () => {
  const custom = new BusEvent('x', { event_name: 'CUSTOM', node_id: 'n', timestamp: 1, headers: { 'Event-Subclass': `sofia::register${ESC}]0;t\x07` } });
  assert.equal(eventDetail(custom), 'sofia::register\\x1b]0;t\\x07');
  const job = new BusEvent('x', { event_name: 'BACKGROUND_JOB', node_id: 'n', timestamp: 1, headers: { 'Job-Command': `status\u202e` }, body: `+OK ${ESC}[2J\nsecond` });
  assert.equal(eventDetail(job), 'status\\u202e +OK \\x1b[2J');
  const exec = new BusEvent('x', { event_name: 'CHANNEL_EXECUTE', node_id: 'n', timestamp: 1, headers: { Application: 'playback', 'Application-Data': `a\x9bb` } });
  assert.equal(eventDetail(exec), 'playback(a\\x9bb)');
});

void test("statusTable: the review's status cells are escaped, the columns still line up", () => {
  const evil = { node_id: `n${ESC}[2J`, version: '1', uptime: 1, driver: 'nats', broker: { status: `ok${ESC}]0;title\x07` }, esl: { status: 'ready\u202e' }, counters: {} } as unknown as AgentStatus;
  const text = statusTable([evil]);
  assert.equal(text.split('\n').length, 2, JSON.stringify(text));
  const [header, row] = text.split('\n') as [string, string];
  for (const line of [header, row]) assert.doesNotMatch(line, FOREIGN_CONTROL, JSON.stringify(text));
  assert.doesNotMatch(text, /\x1b/);
  assert.match(row, /^n\\x1b\[2J\s+1\s+1s\s+nats\s+ok\\x1b\]0;title\\x07\s+ready\\u202e\s+\?\s+\?\s+0\/0\s+0\/0$/);
  // Widths count the escapes as printed: each column starts under its header.
  assert.equal(row.indexOf('ok\\x1b'), header.indexOf('BROKER'));
});
