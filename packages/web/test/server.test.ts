// The dashboard's HTTP side against a real nats-server (no agent): auth (token → HttpOnly
// session cookie, basic), the loopback-only default, the controls' guard, the live stream.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { get, type IncomingMessage } from 'node:http';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { CONTROL_HEADER, startWeb, WebError, WebErrorCode, type CommandResult, type Snapshot, type WebServer } from '@fsbus/web';

const TOKEN = 'sekret-token-4c1e';

describe('dashboard server', () => {
  let nats: NatsServerHandle;
  let web: WebServer;

  before(async () => {
    nats = await startNatsServer();
    web = await startWeb({ port: 0, bus: { servers: [nats.url] }, auth: { token: TOKEN, basic: { user: 'ops', password: 'wall-screen' } } });
    await web.busReady;
  });

  after(async () => {
    await web?.close();
    await nats?.stop();
  });

  const url = (path: string): string => new URL(path, web.url).href;

  test('refuses a non-loopback address without auth', async () => {
    await assert.rejects(startWeb({ port: 0, host: '0.0.0.0', bus: { servers: [nats.url] } }), (err: unknown) => err instanceof WebError && err.code === WebErrorCode.INSECURE_BIND);
  });

  test('nothing but /healthz without credentials', async () => {
    assert.equal((await fetch(url('/healthz'))).status, 200);
    const page = await fetch(url('/'));
    assert.equal(page.status, 401);
    assert.match(page.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal((await fetch(url('/api/snapshot'))).status, 401);
    assert.equal((await fetch(url('/?token=wrong'), { redirect: 'manual' })).status, 401);
  });

  test('a token in the URL becomes an HttpOnly session cookie; the page never carries the token', async () => {
    const first = await fetch(url(`/?token=${TOKEN}`), { redirect: 'manual' });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/');
    const cookie = first.headers.get('set-cookie') ?? '';
    // Lax: the link is opened from a wiki, chat or mail, and a Strict cookie is not sent on a
    // navigation started on another site (the redirect included): 401 for good.
    assert.match(cookie, /^fsbus_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; HttpOnly; SameSite=Lax; Path=\/$/);
    assert.ok(!cookie.includes(TOKEN));
    const session = cookie.split(';')[0]!;
    for (const path of ['/', '/app.js', '/style.css', '/api/snapshot']) {
      const res = await fetch(url(path), { headers: { cookie: session } });
      assert.equal(res.status, 200, path);
      const text = await res.text();
      assert.ok(!text.includes(TOKEN) && !text.includes('wall-screen'), `${path} leaks a secret`);
    }
    const bearer = await fetch(url('/api/snapshot'), { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(((await bearer.json()) as Snapshot).bus, 'connected');
  });

  test('a session outlives a dashboard restart with the same token; a new token, or a forged session, is refused', async () => {
    const login = async (server: WebServer, token: string): Promise<string> => {
      const res = await fetch(new URL(`/?token=${token}`, server.url), { redirect: 'manual' });
      assert.equal(res.status, 303);
      return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    };
    const status = async (server: WebServer, session: string): Promise<number> =>
      (await fetch(new URL('/api/snapshot', server.url), { headers: { cookie: session } })).status;
    const first = await startWeb({ port: 0, bus: { servers: [nats.url] }, auth: { token: TOKEN } });
    const session = await login(first, TOKEN);
    assert.equal(await status(first, session), 200);
    await first.close();
    const again = await startWeb({ port: 0, bus: { servers: [nats.url] }, auth: { token: TOKEN } });
    try {
      assert.equal(await status(again, session), 200, 'the restarted dashboard forgot the session');
      const [id, mac] = session.split('=')[1]!.split('.');
      assert.equal(await status(again, `fsbus_session=${id}x.${mac}`), 401, 'another id under the same signature');
      assert.equal(await status(again, `fsbus_session=${id}`), 401, 'an id without a signature');
      assert.equal(await status(again, 'fsbus_session=.'), 401);
    } finally {
      await again.close();
    }
    const rotated = await startWeb({ port: 0, bus: { servers: [nats.url] }, auth: { token: `${TOKEN}-2` } });
    try {
      assert.equal(await status(rotated, session), 401, 'a session of the old token still works');
      assert.equal(await status(rotated, await login(rotated, `${TOKEN}-2`)), 200);
    } finally {
      await rotated.close();
    }
  });

  const basic = { authorization: `Basic ${Buffer.from('ops:wall-screen').toString('base64')}` };

  test('a signed-in session does not make a cross-site POST a control (Lax cookies travel on top-level GETs)', async () => {
    const first = await fetch(url(`/?token=${TOKEN}`), { redirect: 'manual' });
    const session = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    const body = JSON.stringify({ command: 'hangup', uuid: 'abc', node_id: 'n1' });
    // Even if a browser sent the cookie: another origin, or no control header, is refused.
    const crossSite = await fetch(url('/api/command'), { method: 'POST', body, headers: { cookie: session, origin: 'https://wiki.example', 'content-type': 'application/json', [CONTROL_HEADER]: '1' } });
    assert.equal(crossSite.status, 403);
    const form = await fetch(url('/api/command'), { method: 'POST', body, headers: { cookie: session, 'content-type': 'text/plain' } });
    assert.equal(form.status, 403);
  });

  test('basic auth works too, and the page is served with a strict CSP', async () => {
    const res = await fetch(url('/'), { headers: basic });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await res.text(), /<script type="module" src="\/app.js"><\/script>/);
    assert.equal((await fetch(url('/'), { headers: { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` } })).status, 401);
  });

  test('controls need the page\'s header and one of its commands; bus errors come back with their code', async () => {
    const post = (body: unknown, headers: Record<string, string> = { [CONTROL_HEADER]: '1' }) =>
      fetch(url('/api/command'), { method: 'POST', headers: { ...basic, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    assert.equal((await post({ command: 'hangup', uuid: 'abc' }, {})).status, 403, 'a cross-site form cannot send the header');
    const denied = await post({ command: 'system', args: 'reboot' });
    assert.equal(denied.status, 400);
    assert.equal(((await denied.json()) as CommandResult).code, WebErrorCode.BAD_REQUEST);
    // No agent serves the node: the SDK's typed error, as it is.
    const none = (await (await post({ command: 'hangup', uuid: 'abc', node_id: 'nobody' })).json()) as CommandResult;
    assert.equal(none.success, false);
    assert.match(none.code ?? '', /^FSBUS_ERR_CLIENT_(NO_RESPONDERS|TIMEOUT)$/);
  });

  test('the live stream starts with a snapshot', async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) => get(url('/api/stream'), { headers: basic }, resolve).on('error', reject));
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    let text = '';
    for await (const chunk of res as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.includes('event: snapshot\ndata: ') && text.endsWith('\n\n')) break;
    }
    res.destroy();
    const data = /event: snapshot\ndata: (.*)\n\n/.exec(text)?.[1];
    const snap = JSON.parse(data ?? 'null') as Snapshot;
    assert.equal(snap.bus, 'connected');
    assert.deepEqual(snap.nodes, []);
  });
});
