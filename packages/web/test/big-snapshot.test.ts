// A full channel table of callers' long values still loads: /api/snapshot answers and a page gets
// its snapshot (the JSON is never one string the size of the table), and a page whose snapshot is
// larger than the 4 MiB page buffer is not cut off for the update queued behind it (it reconnected
// every second to the same snapshot and never loaded). page-buffer.test.ts: the bound after it.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { request, type IncomingMessage } from 'node:http';
import type { EventPayload, ReplyEnvelope } from '@fsbus/contract';
import { DEFAULT_MAX_CHANNELS, MAX_FIELD_CHARS, startWeb, type BusState, type DashboardBus, type Snapshot, type WebServer } from '@fsbus/web';

const FIELD_CAP = MAX_FIELD_CHARS;

/** A bus link the test drives: events go in when the test says so. */
class FakeBus implements DashboardBus {
  readonly state: BusState = 'connected';
  readonly reconnects = 0;
  readonly #events = new Set<(e: EventPayload) => void>();
  connect(): Promise<void> {
    return Promise.resolve();
  }
  onState(): () => void {
    return () => undefined;
  }
  gather(): Promise<ReplyEnvelope[]> {
    return Promise.resolve([]);
  }
  request(): Promise<ReplyEnvelope> {
    return Promise.reject(new Error('not served'));
  }
  onEvent(listener: (e: EventPayload) => void): () => void {
    this.#events.add(listener);
    return () => this.#events.delete(listener);
  }
  emit(name: string, uuid: string, headers: Record<string, string> = {}): void {
    const e: EventPayload = { event_name: name, timestamp: Date.now() * 1000, node_id: 'n1', uuid, headers: { 'Event-Name': name, 'Unique-ID': uuid, ...headers } };
    for (const l of this.#events) l(e);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A full table (DEFAULT_MAX_CHANNELS) whose text fields are `value`. */
function fill(bus: FakeBus, value: string): void {
  for (let i = 0; i < DEFAULT_MAX_CHANNELS; i++) {
    bus.emit('CHANNEL_CREATE', `u${i}`, {
      'Call-Direction': value,
      'Caller-Caller-ID-Number': value,
      'Caller-Destination-Number': value,
      'Channel-Name': value,
      'Channel-Call-State': value,
    });
  }
}

function get(web: WebServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: web.port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

/** Opens the page stream; the response comes unread (paused) until the test reads it. */
function openStream(web: WebServer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: web.port, path: '/api/stream', agent: false }, resolve).on('error', reject).end();
  });
}

interface Message {
  event: string;
  data: string;
}

/**
 * Reads SSE messages from `res` until `enough` holds (resolves true) or the stream ends or breaks
 * (resolves false: the server cut the page off).
 */
function read(res: IncomingMessage, messages: Message[], enough: () => boolean): Promise<boolean> {
  // A 38 MB snapshot comes in 64 KB chunks: they are joined only once a message has ended.
  const chunks: string[] = [];
  let last = '';
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('data', onData);
      res.off('close', onEnd);
      res.off('error', onEnd);
      res.pause();
      resolve(ok);
    };
    const onEnd = (): void => done(enough());
    const onData = (d: string): void => {
      chunks.push(d);
      const ended = `${last}${d}`.includes('\n\n');
      last = d.slice(-1);
      if (!ended) return;
      let buf = chunks.join('');
      chunks.length = 0;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const lines = buf.slice(0, i).split('\n');
        buf = buf.slice(i + 2);
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data !== '') messages.push({ event, data });
        if (enough()) return done(true);
      }
      chunks.push(buf);
    };
    res.setEncoding('utf8');
    res.on('data', onData);
    res.on('close', onEnd);
    res.on('error', onEnd);
    res.resume();
  });
}

test(`a full table (${DEFAULT_MAX_CHANNELS} channels) of 64 KB callers: /api/snapshot answers 200 and a page gets its snapshot`, async () => {
  const bus = new FakeBus();
  const web = await startWeb({ port: 0, busLink: bus, flushIntervalMs: 3_600_000, pollIntervalMs: 3_600_000 });
  try {
    // One string for every channel: the test holds 64 KB, a table keeping it whole would serialise ~1.6 GB.
    fill(bus, 'x'.repeat(64 * 1024));
    web.dashboard.flush();
    const res = await get(web, '/api/snapshot');
    assert.equal(res.status, 200, res.body.slice(0, 200));
    const snap = JSON.parse(res.body) as Snapshot;
    assert.equal(snap.channels.length, DEFAULT_MAX_CHANNELS);
    assert.ok(snap.channels.every((c) => c.caller.length <= FIELD_CAP && c.name.length <= FIELD_CAP));

    const stream = await openStream(web);
    const messages: Message[] = [];
    assert.equal(await read(stream, messages, () => messages.length > 0), true, 'the page got no snapshot');
    assert.equal(messages[0]?.event, 'snapshot');
    assert.deepEqual((JSON.parse(messages[0].data) as Snapshot).channels, snap.channels);
    stream.destroy();
  } finally {
    await web.close();
  }
});

test('a page whose snapshot is larger than the page buffer gets the update queued behind it, not cut off and sent to reconnect', async () => {
  const bus = new FakeBus();
  const web = await startWeb({ port: 0, busLink: bus, flushIntervalMs: 3_600_000, pollIntervalMs: 3_600_000 });
  try {
    // Control characters are 6 bytes each in JSON: ~7.7 KB a row, a ~38 MB snapshot, far more than
    // the 4 MiB page buffer plus what the loopback socket buffers hold.
    const control = '\u0001'.repeat(FIELD_CAP);
    fill(bus, control);
    web.dashboard.flush();
    const stream = await openStream(web);
    // The snapshot is queued unread: an update comes now, while it waits.
    bus.emit('CHANNEL_ANSWER', 'u1', { 'Channel-Call-State': 'ACTIVE' });
    web.dashboard.flush();
    const messages: Message[] = [];
    const got = await read(stream, messages, () => messages.length >= 2);
    assert.equal(got, true, `the page was cut off after ${messages.length} message(s): its snapshot and the update queued behind it`);
    assert.deepEqual(messages.map((m) => m.event), ['snapshot', 'update']);
    assert.equal((JSON.parse(messages[0]!.data) as Snapshot).channels.length, DEFAULT_MAX_CHANNELS);
  } finally {
    await web.close();
  }
});
