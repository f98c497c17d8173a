// executeApp and dialplan.* speak the call-control part of the contract (SPEC §3.4). The agent
// gets those commands with the call-control issue; until then a lane on a real nats-server
// answers exactly as the contract says, so the SDK's side is pinned down here.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { buildEventPayload, encodeReply, errorReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { ClientErrorCode, connect, ReplyError, type FsbusClient } from '../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

void describe('@fsbus/client executeApp and dialplan (contract stand-in lane)', () => {
  let nats: NatsServerHandle;
  let lane: Driver;
  let bus: FsbusClient;
  const requests: Array<Record<string, unknown>> = [];
  before(async () => {
    nats = await startNatsServer();
    lane = await createDriver('nats', { urls: [nats.url], name: 'stand-in' });
    await lane.connect();
    lane.serve({ subject: 'cc.node.fs-1', competing: false }, (req) => {
      const body = JSON.parse(new TextDecoder().decode(req.data)) as Record<string, unknown>;
      requests.push(body);
      const command = String(body['command']);
      if (command === 'execute_app') {
        if (body['uuid'] === 'gone') return encodeReply(errorReply({ nodeId: 'fs-1', code: 'FSBUS_ERR_BUS_INVALID_ARGUMENT', message: 'execute_app: session not found' }));
        const appUuid = `app-${requests.length}`;
        const reply = encodeReply(successReply({ nodeId: 'fs-1', message: 'execute_app dispatched', data: { application_uuid: appUuid } }));
        const forward = body['forward_to'];
        if (typeof forward === 'string') {
          lane.publish(forward, reply);
          if (body['app'] !== 'park') {
            const headers = new Map([
              ['Event-Name', 'CHANNEL_EXECUTE_COMPLETE'],
              ['Unique-ID', String(body['uuid'])],
              ['Application', String(body['app'])],
              ['Application-UUID', appUuid],
              ['Application-Response', '1234'],
            ]);
            const event = buildEventPayload({ name: 'CHANNEL_EXECUTE_COMPLETE', uuid: String(body['uuid']), headers }, 'fs-1');
            lane.publish(forward, enc(JSON.stringify(event)));
          }
        }
        return reply;
      }
      return encodeReply(successReply({ nodeId: 'fs-1', message: 'Dialplan status retrieved', data: body }));
    });
    await lane.flush();
    bus = await connect({ servers: nats.url, prefix: 'cc' });
  });
  after(async () => {
    await bus.close();
    await lane.close();
    await nats.stop();
  });

  void it('executeApp sends uuid/app/args/vars and resolves with the application uuid', async () => {
    const r = await bus.node('fs-1').executeApp({ uuid: 'u-1', app: 'playback', args: 'ivr/welcome.wav', vars: { a: '1' } });
    assert.equal(r.applicationUuid, `app-${requests.length}`);
    assert.equal(r.nodeId, 'fs-1');
    assert.equal(r.complete, undefined);
    assert.deepEqual(requests.at(-1), { command: 'execute_app', uuid: 'u-1', app: 'playback', args: 'ivr/welcome.wav', vars: { a: '1' }, timeout_ms: 5000 });
  });

  void it('waitForComplete resolves `complete` with the matching CHANNEL_EXECUTE_COMPLETE', async () => {
    const r = await bus.executeApp({ uuid: 'u-2', app: 'play_and_get_digits', args: '1 4 3 5000 # a.wav b.wav digits \\d+', waitForComplete: true }, { node: 'fs-1' });
    const done = await r.complete;
    assert.equal(done.name, 'CHANNEL_EXECUTE_COMPLETE');
    assert.equal(done.applicationUuid, r.applicationUuid);
    assert.equal(done.applicationResponse, '1234');
    assert.match(String(requests.at(-1)!['forward_to']), /^_INBOX\.fsbus_[0-9a-f]+\.\d+$/);
  });

  void it('a completion that never comes rejects `complete` with FSBUS_ERR_CLIENT_TIMEOUT; refusals reject at once', async () => {
    const r = await bus.executeApp({ uuid: 'u-3', app: 'park', waitForComplete: true, completeTimeoutMs: 200 }, { node: 'fs-1' });
    await assert.rejects(r.complete, { code: ClientErrorCode.TIMEOUT });
    const err = await bus.executeApp({ uuid: 'gone', app: 'playback', waitForComplete: true }, { node: 'fs-1' }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ReplyError);
    assert.equal(err.message, 'execute_app: session not found');
  });

  void it('dialplan.* sends the contract fields', async () => {
    const dp = bus.node('fs-1').dialplan;
    await dp.enable();
    await dp.disable();
    await dp.audio('music', 'moh');
    await dp.autoanswer(true);
    await dp.timeout(45);
    const status = await dp.status();
    assert.equal(status.message, 'Dialplan status retrieved');
    assert.deepEqual(
      requests.slice(-6).map(({ timeout_ms: _t, ...rest }) => rest),
      [
        { command: 'dialplan.enable' },
        { command: 'dialplan.disable' },
        { command: 'dialplan.audio', mode: 'music', music_class: 'moh' },
        { command: 'dialplan.autoanswer', enabled: true },
        { command: 'dialplan.timeout', seconds: 45 },
        { command: 'dialplan.status' },
      ],
    );
  });
});
