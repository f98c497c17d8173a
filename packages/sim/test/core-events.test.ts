import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { NO_FIXTURES, apiAt, capturedEvents, harness, header, shape } from './core-capture.js';
import type { CoreLogLine } from '../src/core/index.js';

void describe('SimCore events', () => {
  void it('sendevent CUSTOM: Event-Subclass, Command, the client headers, Event-UUID, then the core headers', { skip: NO_FIXTURES }, async () => {
    const h = harness();
    const uuid = h.core.sendevent(
      [['Command', 'sendevent CUSTOM'], ['Event-Subclass', 'fsbus::demo'], ['X-Note', 'two words'], ['Content-Type', 'text/plain'], ['Content-Length', '12']],
      'line1\nline2\n',
    );
    const e = h.events.at(-1);
    assert.ok(e);
    assert.equal(e.name, 'CUSTOM');
    assert.equal(e.subclass, 'fsbus::demo');
    assert.equal(e.body, 'line1\nline2\n');
    assert.equal(header(e, 'Event-UUID'), uuid);
    const captured = capturedEvents().find((c) => c.name === 'CUSTOM');
    assert.ok(captured);
    assert.deepEqual(shape(e), shape(captured));
    assert.deepEqual(e.headers.slice(0, 6).map(([k]) => k), ['Event-Subclass', 'Command', 'X-Note', 'Content-Type', 'Content-Length', 'Event-UUID']);
    assert.equal(header(e, 'Event-Calling-Function'), 'parse_command');
    await h.core.stop();
  });

  void it('sendevent of a standard event keeps its name and has no subclass', async () => {
    const h = harness();
    h.core.sendevent([['Command', 'sendevent NOTIFY'], ['profile', 'internal']], undefined);
    const e = h.events.at(-1);
    assert.equal(e?.name, 'NOTIFY');
    assert.equal(e?.subclass, undefined);
    assert.deepEqual(e?.headers.slice(0, 4).map(([k]) => k), ['Command', 'profile', 'Event-UUID', 'Event-Name']);
    await h.core.stop();
  });

  void it('sendevent with an unknown or no name is a nameless CUSTOM event; with a live Unique-ID it goes to that session', async () => {
    const h = harness();
    h.core.sendevent([['Command', 'sendevent NO_SUCH_THING'], ['X', '1']], undefined);
    assert.equal(h.events.at(-1)?.name, 'CUSTOM');
    assert.equal(h.events.at(-1)?.subclass, undefined);
    assert.equal(header(h.events.at(-1)!, 'Event-Name'), 'CUSTOM');
    h.core.sendevent([['Command', 'sendevent'], ['X', '2']], undefined);
    assert.equal(h.events.at(-1)?.name, 'CUSTOM');
    // switch_name_event gets the whole rest of the line, so a second word leaves the name unknown;
    // the client's Event-Subclass then stays an ordinary header where it was sent, without a subclass.
    h.core.sendevent([['Command', 'sendevent HEARTBEAT extra'], ['X', '3'], ['Event-Subclass', 'fsbus::x']], undefined);
    const e = h.events.at(-1)!;
    assert.equal(e.name, 'CUSTOM');
    assert.equal(e.subclass, undefined);
    assert.deepEqual(e.headers.slice(0, 5).map(([k]) => k), ['Command', 'X', 'Event-Subclass', 'Event-UUID', 'Event-Name']);
    // Leading blanks are skipped, the name is read case-insensitively, with or without SWITCH_EVENT_.
    h.core.sendevent([['Command', 'sendevent \t switch_event_notify']], undefined);
    assert.equal(h.events.at(-1)?.name, 'NOTIFY');
    const reply = await apiAt(h, 'originate', 'loopback/7001 &park()');
    const uuid = reply.slice(4, -1);
    const before = h.events.length;
    h.core.sendevent([['Command', 'sendevent CUSTOM'], ['Unique-ID', uuid], ['call-command', 'hangup'], ['hangup-cause', 'CALL_REJECTED']], undefined);
    await h.clock.advance(1);
    const after = h.events.slice(before);
    assert.equal(after.some((e) => e.name === 'CUSTOM'), false);
    assert.equal(header(after.find((e) => e.name === 'CHANNEL_HANGUP' && e.uuid === uuid)!, 'Hangup-Cause'), 'CALL_REJECTED');
    await h.core.stop();
  });

  void it('control.hupall hangs up everything with the cause', async () => {
    const h = harness();
    await apiAt(h, 'originate', 'loopback/7001 &park()');
    assert.equal(h.core.control.hupall('SYSTEM_SHUTDOWN'), 2);
    await h.clock.advance(1);
    assert.deepEqual(h.events.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').map((e) => header(e, 'Hangup-Cause')), ['SYSTEM_SHUTDOWN', 'SYSTEM_SHUTDOWN']);
    await h.core.stop();
  });

  void it('HEARTBEAT then RE_SCHEDULE on the timer, shaped like the capture', { skip: NO_FIXTURES }, async () => {
    const h = harness({ heartbeatIntervalMs: 20000 });
    await h.clock.advance(19999);
    assert.equal(h.events.length, 0);
    await h.clock.advance(1);
    assert.deepEqual(h.events.map((e) => e.name), ['HEARTBEAT', 'RE_SCHEDULE']);
    for (const e of h.events) {
      const captured = capturedEvents().find((c) => c.name === e.name);
      assert.ok(captured);
      assert.deepEqual(shape(e), shape(captured));
    }
    assert.equal(header(h.events[0]!, 'Event-Info'), 'System Ready');
    assert.equal(header(h.events[0]!, 'Uptime-msec'), '20000');
    await h.clock.advance(20000);
    assert.equal(h.events.length, 4);
    await h.core.stop();
    await h.clock.advance(60000);
    assert.equal(h.events.length, 4);
  });

  void it('injectEvents fires a burst of 100k events synchronously, and paced ones per tick', async () => {
    const h = harness();
    let n = 0;
    h.core.onEvent(() => n++);
    const burst = h.core.control.injectEvents({ name: 'CUSTOM', subclass: 'bench::tick', headers: { 'X-N': '1' }, count: 100_000 });
    assert.equal(await burst.done, 100_000);
    assert.equal(n, 100_000);
    const first = h.events[0]!;
    assert.equal(first.headers[0]?.[0], 'Event-Subclass');
    assert.equal(header(first, 'X-N'), '1');
    assert.ok(h.events.every((e, i) => i === 0 || e.sequence === (h.events[i - 1]?.sequence ?? 0) + 1));
    const paced = h.core.control.injectEvents({ name: 'HEARTBEAT', ratePerSecond: 1000, count: 50 });
    await h.clock.advance(20);
    assert.equal(n, 100_020);
    await h.clock.advance(100);
    assert.equal(await paced.done, 50);
    assert.equal(n, 100_050);
    await h.core.stop();
  });

  void it('generateCalls produces calls that arrive, get answered or abandoned, and hang up', async () => {
    const h = harness();
    const gen = h.core.control.generateCalls({ ratePerSecond: 10, durationMs: 1000, holdMs: 500, answerRatio: 0.5 });
    await h.clock.advance(1000);
    assert.equal(await gen.done, 10);
    await h.clock.advance(5000);
    const creates = h.events.filter((e) => e.name === 'CHANNEL_CREATE');
    const destroys = h.events.filter((e) => e.name === 'CHANNEL_DESTROY');
    assert.equal(creates.length, 10);
    assert.equal(destroys.length, 10);
    const answered = h.events.filter((e) => e.name === 'CHANNEL_ANSWER').length;
    assert.ok(answered > 0 && answered < 10, `answered ${answered}`);
    assert.equal(await apiAt(h, 'show', 'channels'), '\n0 total.\n');
    await h.core.stop();
  });

  void it('log lines look like FreeSWITCH log/data text', async () => {
    const h = harness();
    const lines: CoreLogLine[] = [];
    h.core.onLog((l) => lines.push(l));
    await apiAt(h, 'originate', 'loopback/7001 &park()');
    assert.ok(lines.length > 10);
    for (const l of lines) {
      assert.ok(l.text.endsWith('\n'));
      assert.match(l.text, /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \d+\.\d\d% \[(DEBUG|INFO|NOTICE|WARNING|ERR)\] [\w.]+:\d+ |EXECUTE \[depth=\d\] )/);
      assert.ok(l.level >= 0 && l.level <= 7);
    }
    assert.ok(lines.some((l) => l.text.includes('New Channel loopback/7001-a [')));
    assert.ok(lines.some((l) => l.text === 'EXECUTE [depth=0] loopback/7001-b answer()\n'));
    await h.core.stop();
  });

  void it('stop() hangs up every channel', async () => {
    const h = harness();
    await apiAt(h, 'originate', 'loopback/7001 &park()');
    assert.equal(h.core.hasChannel(h.events.find((e) => e.name === 'CHANNEL_ANSWER')?.uuid ?? ''), true);
    await h.core.stop();
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_DESTROY').length, 2);
    assert.equal(await apiAt(h, 'show', 'channels'), '\n0 total.\n');
  });
});
