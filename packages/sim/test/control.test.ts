import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Simulator, SimErrorCode } from '../src/index.js';
import { sendJson } from '../src/control/json.js';
import { controlHttp } from './control-http.js';
import { WireClient } from './listener-client.js';

void describe('simulator control knobs', () => {
  let sim: Simulator;
  let port: number;
  let controlPort: number;

  void before(async () => {
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, controlPort: 0 });
    const address = await sim.start();
    port = address.port;
    controlPort = address.controlPort!;
  });
  void after(() => sim.stop());

  const http = controlHttp(() => controlPort);

  void it('adds reply latency and takes it away again', async () => {
    const c = await WireClient.authed(port);
    sim.control.setReplyLatency(20);
    assert.equal(sim.control.status().replyLatencyMs, 20);
    assert.equal((await c.command('api echo slow')).body?.toString(), 'slow');
    sim.control.setReplyLatency(0);
    assert.throws(() => sim.control.setReplyLatency(-1), { code: 'FSBUS_ERR_SIM_CONFIG' });
    c.close();
  });

  void it('refuses auth while asked to', async () => {
    sim.control.refuseAuth(true);
    const c = await WireClient.connect(port);
    await c.next();
    assert.equal(await c.replyText('auth ClueCon'), '-ERR invalid');
    await c.waitClosed();
    sim.control.refuseAuth(false);
    (await WireClient.authed(port)).close();
  });

  void it('drops connections without a word', async () => {
    const c = await WireClient.authed(port);
    assert.ok(sim.control.dropConnections() >= 1);
    await c.waitClosed();
    assert.equal(c.buffered, 0);
  });

  void it('restarts the listener on the same port, saying goodbye to the connected', async () => {
    const c = await WireClient.authed(port);
    const { port: again } = await sim.control.restartListener();
    assert.equal(again, port);
    const notice = await c.next();
    assert.equal(notice.headers.get('Content-Type'), 'text/disconnect-notice');
    assert.equal(notice.body?.toString(), 'The system is being shut down.\n');
    await c.waitClosed();
    const d = await WireClient.authed(port);
    assert.equal((await d.command('api echo back')).body?.toString(), 'back');
    d.close();
  });

  void it('HTTP: status, api, errors with codes, unknown routes', async () => {
    const status = await http('GET', '/status');
    assert.equal(status.status, 200);
    assert.equal(status.json['port'], port);
    assert.equal(status.json['listening'], true);
    assert.deepEqual((await http('POST', '/api', { command: 'echo', args: 'over http' })).json, { body: 'over http' });
    const bad = await http('POST', '/reply-latency', { ms: 'soon' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json['code'], 'FSBUS_ERR_SIM_CONFIG');
    assert.equal((await http('GET', '/nowhere')).status, 404);
  });

  void it('HTTP: injects events that reach subscribed connections, and stops listening on request', async () => {
    const c = await WireClient.authed(port);
    assert.equal(await c.replyText('event plain CUSTOM fsbus::ctl'), '+OK event listener enabled plain');
    const started = await http('POST', '/events/inject', { name: 'CUSTOM', subclass: 'fsbus::ctl', count: 3, headers: { 'X-From': 'http' } });
    assert.equal(started.status, 200);
    for (let i = 0; i < 3; i++) assert.ok((await c.next()).body?.toString().includes('X-From: http\n'));
    assert.equal((await http('POST', '/stop', { id: started.json['id'] })).json['produced'], 3);
    assert.equal((await http('POST', '/listener/stop')).json['listening'], false);
    await c.waitClosed();
    assert.equal((await http('POST', '/listener/start')).json['listening'], true);
    (await WireClient.authed(port)).close();
  });
});

void it('a control result JSON cannot carry is answered once, 500 with the reason', async () => {
  const server = createServer((_req, res) => sendJson(res, 200, { seq: 1n }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: { connection: 'close' } });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { error: string; code: string };
    assert.match(body.error, /cannot be sent as JSON.*BigInt/);
    assert.equal(body.code, SimErrorCode.CONTROL);
  } finally {
    server.close();
  }
});
