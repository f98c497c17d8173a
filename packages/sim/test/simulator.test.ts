import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { fsUrlDecode } from '@fsbus/esl';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

function header(body: Buffer | undefined, name: string): string | undefined {
  const line = (body?.toString() ?? '').split('\n').find((l) => l.startsWith(`${name}: `));
  return line === undefined ? undefined : fsUrlDecode(line.slice(name.length + 2));
}

void describe('Simulator', () => {
  let sim: Simulator;
  let port: number;

  before(async () => {
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
    ({ port } = await sim.start());
  });
  after(() => sim.stop());

  void it('binds the port it was given (0 = any) on 127.0.0.1', () => {
    assert.equal(sim.address.host, '127.0.0.1');
    assert.ok(port > 0);
    assert.equal(sim.address.port, port);
  });

  void it('writes the reply of an api command before the events it caused', async () => {
    const c = await WireClient.authed(port);
    assert.equal(await c.replyText('event plain CHANNEL_CREATE CHANNEL_DESTROY'), '+OK event listener enabled plain');
    c.send('api originate loopback/7002 &park()\n\n');
    const reply = await c.next();
    assert.equal(reply.headers.get('Content-Type'), 'api/response');
    assert.equal(reply.body?.toString(), '-ERR USER_BUSY\n');
    const names: string[] = [];
    while (names.filter((n) => n === 'CHANNEL_DESTROY').length < 2) names.push(header((await c.next()).body, 'Event-Name') ?? '?');
    assert.deepEqual(names, ['CHANNEL_CREATE', 'CHANNEL_CREATE', 'CHANNEL_DESTROY', 'CHANNEL_DESTROY']);
    c.close();
  });

  void it('log <level>: log/data frames in FreeSWITCH header order, filtered by level', async () => {
    const c = await WireClient.authed(port);
    assert.equal(await c.replyText('log 7'), '+OK log level 7 [7]');
    const driver = await WireClient.authed(port);
    await driver.command('api originate loopback/7002 &park()');
    const frame = await c.nextOfType('log/data');
    assert.deepEqual([...frame.headers.keys()], ['Content-Type', 'Content-Length', 'Log-Level', 'Text-Channel', 'Log-File', 'Log-Func', 'Log-Line', 'User-Data']);
    assert.ok(Number(frame.headers.get('Log-Level')) <= 7);
    assert.equal(Number(frame.headers.get('Content-Length')), frame.body?.length);
    c.close();
    driver.close();
  });

  void it('inbound myevents <uuid>: only that channel, then the goodbye when it hangs up', async () => {
    const driver = await WireClient.authed(port);
    const uuid = '22222222-0000-4000-8000-000000000002';
    assert.equal((await driver.command(`api originate {origination_uuid=${uuid}}loopback/7001 &park()`)).body?.toString(), `+OK ${uuid}\n`);
    const c = await WireClient.authed(port);
    assert.equal(await c.replyText('myevents 00000000-0000-0000-0000-000000000000 json'), '-ERR invalid uuid');
    assert.equal(await c.replyText(`myevents ${uuid}`), '+OK Events Enabled');
    assert.equal(await c.replyText(`myevents ${uuid}`), '-ERR aready enabled.');
    assert.equal(await c.replyText('linger'), '+OK will linger');
    assert.equal(await c.replyText('nolinger'), '+OK will not linger');
    await driver.command(`api uuid_kill ${uuid}`);
    for (;;) {
      const frame = await c.next();
      if (frame.headers.get('Content-Type') === 'text/disconnect-notice') {
        assert.equal(frame.headers.get('Controlled-Session-UUID'), uuid);
        break;
      }
      assert.equal(header(frame.body, 'Unique-ID'), uuid);
    }
    await c.waitClosed();
    driver.close();
  });

  void it('refuses invalid options with FSBUS_ERR_SIM_CONFIG', () => {
    assert.throws(() => new Simulator({ outbound: 'nowhere' }), { code: 'FSBUS_ERR_SIM_CONFIG' });
    assert.throws(() => new Simulator({ acl: ['not-an-address/8'] }), { code: 'FSBUS_ERR_SIM_CONFIG' });
  });

  void it('fails to start on a port in use with FSBUS_ERR_SIM_LISTEN', async () => {
    const other = new Simulator({ port, heartbeatIntervalMs: 0 });
    await assert.rejects(other.start(), { code: 'FSBUS_ERR_SIM_LISTEN' });
    await other.stop();
  });
});
