// The dashboard's request guard and page stream, against a real nats-server (or a bus link the
// test drives): DNS rebinding (Host/Origin), the token redirect, execute_app limited to playback,
// no event twice for a newly opened page, and "bus down at start" shown as connecting.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { request, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import type { EventPayload, ReplyEnvelope } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { CONTROL_HEADER, parseCommand, startWeb, type BusState, type DashboardBus, type EventView, type Snapshot, type Update, type WebServer } from '@fsbus/web';

interface Raw {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One request with the exact path and headers given (fetch would normalise them). */
function raw(web: WebServer, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: web.port, path, method, headers: { host: `127.0.0.1:${web.port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads one page stream: its snapshot first, then updates, as they come. */
class Page {
  readonly snapshot: Promise<Snapshot>;
  readonly #res: Promise<IncomingMessage>;
  readonly #updates: Update[] = [];
  #wake: (() => void) | undefined;

  constructor(web: WebServer) {
    this.#res = new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port: web.port, path: '/api/stream' }, resolve).on('error', reject).end();
    });
    let gotSnapshot: (s: Snapshot) => void = () => undefined;
    this.snapshot = new Promise((r) => (gotSnapshot = r));
    void this.#res.then((res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const msg = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(msg)?.[1];
          const data = /^data: (.*)$/m.exec(msg)?.[1];
          if (data === undefined) continue;
          if (event === 'snapshot') gotSnapshot(JSON.parse(data) as Snapshot);
          else if (event === 'update') this.#updates.push(JSON.parse(data) as Update);
          this.#wake?.();
        }
      });
    });
  }

  /** The first update for which `pick` holds (bounded: a missing update fails the test). */
  async until(pick: (u: Update) => boolean, what: string, timeoutMs = 10_000): Promise<Update> {
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      this.#wake?.();
    }, timeoutMs);
    try {
      for (;;) {
        const found = this.#updates.find(pick);
        if (found !== undefined) return found;
        if (timedOut) throw new Error(`timed out waiting for ${what}`);
        await new Promise<void>((r) => (this.#wake = r));
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  async close(): Promise<void> {
    (await this.#res).destroy();
  }
}

describe('request guard (no auth, loopback)', () => {
  let nats: NatsServerHandle;
  let web: WebServer;
  let named: WebServer;

  before(async () => {
    nats = await startNatsServer();
    web = await startWeb({ port: 0, bus: { servers: [nats.url] } });
    named = await startWeb({ port: 0, bus: { servers: [nats.url] }, allowedHosts: ['dash.example.net'] });
    await Promise.all([web.busReady, named.busReady]);
  });

  after(async () => {
    await web?.close();
    await named?.close();
    await nats?.stop();
  });

  test('a Host the server does not answer to (DNS rebinding) is refused; /healthz stays open', async () => {
    for (const host of ['attacker.example', `attacker.example:${web.port}`, `localhost.attacker.example:${web.port}`]) {
      assert.equal((await raw(web, '/api/snapshot', { host })).status, 403, host);
      assert.equal((await raw(web, '/', { host })).status, 403, host);
      assert.equal((await raw(web, '/api/stream', { host })).status, 403, host);
      const post = await raw(web, '/api/command', { host, 'content-type': 'application/json', [CONTROL_HEADER]: '1' }, 'POST', JSON.stringify({ command: 'hangup', uuid: 'abc', node_id: 'n1' }));
      assert.equal(post.status, 403, host);
    }
    assert.equal((await raw(web, '/healthz', { host: 'attacker.example' })).status, 200);
    for (const host of [`127.0.0.1:${web.port}`, `localhost:${web.port}`, `[::1]:${web.port}`, 'localhost']) {
      assert.equal((await raw(web, '/api/snapshot', { host })).status, 200, host);
    }
  });

  test('HEAD /api/stream is answered and ended (a body is dropped on HEAD: it would hang, registered)', async () => {
    const res = await raw(web, '/api/stream', {}, 'HEAD');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    assert.equal(res.body, '');
  });

  test('a configured public name is answered', async () => {
    assert.equal((await raw(named, '/api/snapshot', { host: `dash.example.net:${named.port}` })).status, 200);
    assert.equal((await raw(named, '/api/snapshot', { host: 'dash.example.net' })).status, 200);
    assert.equal((await raw(named, '/api/snapshot', { host: 'other.example.net' })).status, 403);
  });

  test('a POST from another origin is refused; the same origin goes through', async () => {
    const body = JSON.stringify({ command: 'system', args: 'id' }); // refused by the command check (400) once past the guard
    const headers = { 'content-type': 'application/json', [CONTROL_HEADER]: '1' };
    for (const origin of ['http://attacker.example', `http://attacker.example:${web.port}`, 'null', 'file://']) {
      assert.equal((await raw(web, '/api/command', { ...headers, origin }, 'POST', body)).status, 403, origin);
    }
    assert.equal((await raw(web, '/api/command', { ...headers, origin: `http://127.0.0.1:${web.port}` }, 'POST', body)).status, 400);
    assert.equal((await raw(web, '/api/command', headers, 'POST', body)).status, 400, 'no Origin (not a browser): the header guard applies');
  });
});

test('execute_app from the page: playback only', () => {
  assert.equal('success' in parseCommand({ command: 'execute_app', uuid: 'u1', app: 'playback', args: 'tone_stream://%(100,100,440)' }), false);
  for (const app of ['system', 'bgsystem', 'Playback ', undefined, 7]) {
    const out = parseCommand({ command: 'execute_app', uuid: 'u1', app, args: 'id' });
    assert.ok('success' in out && !out.success, String(app));
  }
  // FreeSWITCH expands ${...} in the data (${system(id)} runs the API); a hangup hook variable runs one on hangup.
  for (const extra of [{ args: '${system(id)}' }, { args: 'tone_stream://$${hold_music}' }, { variables: { api_hangup_hook: 'system id' } }, { event_lock: true }]) {
    const out = parseCommand({ command: 'execute_app', uuid: 'u1', app: 'playback', args: 'tone_stream://%(100,100,440)', ...extra });
    assert.ok('success' in out && !out.success, JSON.stringify(extra));
  }
});

test('originate from the page: the form\'s fields, and an &app extension only for playback', () => {
  const form = { command: 'originate', endpoint: 'user/1000', extension: '9000', context: 'default', caller_id_number: '1000' };
  assert.equal('success' in parseCommand(form), false);
  assert.equal('success' in parseCommand({ ...form, extension: '&playback(tone_stream://%(100,100,440))' }), false);
  for (const extension of ['&system(touch /tmp/x)', '&bgsystem', ' &system(id)', '&Playback(x)', '&playbackx(y)']) {
    const out = parseCommand({ ...form, extension });
    assert.ok('success' in out && !out.success && /extension/.test(out.message), extension);
  }
  // mod_loopback runs an application named in the dial string, or takes a dialplan (inline) there.
  for (const endpoint of ['loopback/app=system:touch$IFS/tmp/x', 'LOOPBACK/app=bgsystem:id', 'loopback/system:reboot/default/inline', 'user/1000,loopback/app=system:id', 'sofia/gw/1|loopback/1/default/inline', 'user/1:_:loopback/app=system:id']) {
    const out = parseCommand({ ...form, endpoint });
    assert.ok('success' in out && !out.success && /loopback extension and context only/.test(out.message), endpoint);
  }
  for (const endpoint of ['loopback/7001', 'loopback/7001/default', 'sofia/internal/sip:1000@127.0.0.1:5060', 'user/1000,user/1001']) {
    assert.equal('success' in parseCommand({ ...form, endpoint }), false, endpoint);
  }
  // Channel variables would run anything on answer; the agent itself accepts them from other callers.
  for (const extra of [{ variables: { execute_on_answer: 'system id' } }, { variables: { api_on_answer: 'system id' } }, { destination: '&system(id)' }, { dialplan: 'inline' }]) {
    const out = parseCommand({ ...form, ...extra });
    assert.ok('success' in out && !out.success && /takes only/.test(out.message), JSON.stringify(extra));
  }
});

test('every page command takes only its own fields: no forward_to, async or correlation_id from the page', () => {
  const ok = [
    { command: 'hangup', uuid: 'u1' },
    { command: 'hangup', uuid: 'u1', cause: 'CALL_REJECTED' },
    { command: 'agent.status' },
    { command: 'dialplan.enable' },
    { command: 'dialplan.audio', mode: 'music', music_class: 'moh' },
    { command: 'dialplan.autoanswer', enabled: true },
    { command: 'dialplan.timeout', seconds: 30 },
  ];
  for (const body of ok) assert.equal('success' in parseCommand({ ...body, node_id: 'n1' }), false, JSON.stringify(body));
  for (const body of ok) {
    for (const extra of [{ forward_to: 'freeswitch2.events.channel.answer' }, { async: true }, { correlation_id: 'x' }, { args: 'all' }]) {
      const out = parseCommand({ ...body, ...extra });
      assert.ok('success' in out && !out.success && /takes only/.test(out.message), `${JSON.stringify(body)} + ${JSON.stringify(extra)}`);
    }
  }
});

test('a token login redirects to a path of this server only', async () => {
  const nats = await startNatsServer();
  const web = await startWeb({ port: 0, bus: { servers: [nats.url] }, auth: { token: 'tok-9' } });
  await web.busReady;
  try {
    for (const path of ['/.//evil.example?token=tok-9', '//evil.example/?token=tok-9', '/\\evil.example?token=tok-9', '/%2F%2Fevil.example?token=tok-9']) {
      const res = await raw(web, path);
      assert.equal(res.status, 303, path);
      const location = res.headers.location ?? '';
      assert.match(location, /^\/(?![/\\])/, `${path} → ${location}`);
      assert.equal(new URL(location, 'http://127.0.0.1/').host, '127.0.0.1', `${path} → ${location}`);
    }
    assert.equal((await raw(web, '/?token=tok-9')).headers.location, '/');
  } finally {
    await web.close();
    await nats.stop();
  }
});

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
  request(_body: Record<string, unknown>, _node: string | undefined, _timeoutMs: number): Promise<ReplyEnvelope> {
    return Promise.reject(new Error('not served'));
  }
  onEvent(listener: (e: EventPayload) => void): () => void {
    this.#events.add(listener);
    return () => this.#events.delete(listener);
  }
  emit(name: string, uuid?: string): void {
    const e: EventPayload = { event_name: name, timestamp: Date.now() * 1000, node_id: 'n1', headers: { 'Event-Name': name } };
    if (uuid !== undefined) {
      e.uuid = uuid;
      e.headers['Unique-ID'] = uuid;
    }
    for (const l of this.#events) l(e);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

test('a newly opened page gets every event once: in its snapshot or in an update, never both', async () => {
  const bus = new FakeBus();
  // No timer flush during the test: only what opening a page does counts.
  const web = await startWeb({ port: 0, busLink: bus, flushIntervalMs: 3_600_000 });
  const pages: Page[] = [];
  try {
    bus.emit('HEARTBEAT'); // waits in the batch when page A opens
    const a = new Page(web);
    pages.push(a);
    const snapA = await a.snapshot;
    bus.emit('RE_SCHEDULE'); // waits in the batch when page B opens
    const b = new Page(web);
    pages.push(b);
    const snapB = await b.snapshot;
    const update = await a.until((u) => (u.events?.length ?? 0) > 0, 'page A to get the pending event');
    const seen = [...snapA.events, ...(update.events ?? [])].map((e: EventView) => e.id);
    assert.deepEqual(seen.sort(), [...new Set(seen)].sort(), 'page A got an event twice');
    assert.deepEqual(seen.length, 2);
    assert.equal(snapB.events.length, 2);
  } finally {
    for (const p of pages) await p.close();
    await web.close();
  }
});

test('a timeline is looked up for any URL-encoded uuid (what a publisher sent), bad encoding is a 400', async () => {
  const bus = new FakeBus();
  const web = await startWeb({ port: 0, busLink: bus });
  try {
    for (const uuid of ['weird/../id', 'a b%c', 'ü-uuid', '11111111-0000-4000-8000-000000000001']) {
      bus.emit('CHANNEL_CREATE', uuid);
      const res = await raw(web, `/api/timeline/${encodeURIComponent(uuid)}`);
      assert.equal(res.status, 200, uuid);
      const body = JSON.parse(res.body) as { uuid: string; channel: { uuid: string } | null; events: EventView[] };
      assert.equal(body.uuid, uuid);
      assert.equal(body.channel?.uuid, uuid);
      assert.deepEqual(body.events.map((e) => e.uuid), [uuid]);
    }
    assert.equal((await raw(web, '/api/timeline/%E0%A4%A')).status, 400);
    // An unencoded slash is another path, not a uuid.
    assert.equal((await raw(web, '/api/timeline/a/b')).status, 404);
  } finally {
    await web.close();
  }
});

test('bus down at start: the page and /healthz say connecting, not closed', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const web = await startWeb({ port: 0, bus: { servers: [`nats://127.0.0.1:${port}`] } });
  const page = new Page(web);
  try {
    assert.equal((await page.snapshot).bus, 'connecting');
    // The first attempt fails: the page hears of the bus link again.
    const u = await page.until((x) => x.bus !== undefined, 'a bus state update after the failed attempt');
    assert.equal(u.bus?.state, 'connecting');
    const health = JSON.parse((await raw(web, '/healthz')).body) as { bus: string };
    assert.equal(health.bus, 'connecting');
  } finally {
    await page.close();
    await web.close();
  }
});

test('a control waits commandTimeoutMs for its reply (10 s by default), originate at least 65 s', async () => {
  const asked: Array<[string, number]> = [];
  class TimedBus extends FakeBus {
    override request(body: Record<string, unknown>, _node: string | undefined, timeoutMs: number): Promise<ReplyEnvelope> {
      asked.push([String(body['command']), timeoutMs]);
      return Promise.resolve({ success: true, message: 'ok', node_id: 'n1', timestamp: 0 } as unknown as ReplyEnvelope);
    }
  }
  const post = (web: WebServer, body: unknown) =>
    fetch(new URL('/api/command', web.url), { method: 'POST', headers: { [CONTROL_HEADER]: '1', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (const [commandTimeoutMs, want] of [
    [undefined, [['hangup', 10_000], ['originate', 65_000]]],
    [1234, [['hangup', 1234], ['originate', 65_000]]],
    [90_000, [['hangup', 90_000], ['originate', 90_000]]],
  ] as const) {
    asked.length = 0;
    const web = await startWeb({ port: 0, busLink: new TimedBus(), ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }) });
    try {
      assert.equal((await post(web, { command: 'hangup', uuid: 'abc', node_id: 'n1' })).status, 200);
      assert.equal((await post(web, { command: 'originate', endpoint: 'user/1000', extension: '7001' })).status, 200);
      assert.deepEqual(asked, want);
    } finally {
      await web.close();
    }
  }
});

test('a bus the dashboard cannot connect to is said on its warning line (a refused password looked like "connecting" for ever)', async () => {
  const nats = await startNatsServer({ token: 'right' });
  const warnings: string[] = [];
  let heard!: () => void;
  const said = new Promise<void>((resolve) => (heard = resolve));
  const web = await startWeb({
    port: 0,
    bus: { servers: [nats.url], auth: { token: 'wrong' } },
    warn: (m) => {
      warnings.push(m);
      if (m.startsWith('dashboard: cannot connect to the bus')) heard();
    },
  });
  try {
    // Bounded only to fail by name instead of hanging.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([said, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`nothing said: ${JSON.stringify(warnings)}`)), 30_000)))]).finally(() => clearTimeout(timer));
    assert.match(warnings.find((m) => m.startsWith('dashboard: cannot connect'))!, /retrying: .*authoriz/i);
  } finally {
    await web.close();
    await nats.stop();
  }
});
