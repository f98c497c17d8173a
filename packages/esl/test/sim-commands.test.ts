// Commands whose FreeSWITCH answers are easy to get wrong, against @fsbus/sim (which answers
// as mod_event_socket does): an empty command line (never answered), getvar of an unset
// variable (`-ERR command not found`), executeAsync (queued, completes later).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslInvalidArgumentError } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';
import { withOutboundSession } from './support/sim-outbound.js';
import { withSim } from './support/sim-inbound.js';

void test('sim: an empty or blank command line is refused before sending (FreeSWITCH never answers it); later replies stay in step', async () => {
  await withSim(async (_sim, client) => {
    const empty = client.sendRecv('');
    const blank = client.sendRecv('  \t ');
    const version = client.api('version');
    const noevents = client.sendRecv('noevents');
    await assert.rejects(empty, EslInvalidArgumentError);
    await assert.rejects(blank, EslInvalidArgumentError);
    assert.match(await bounded(version, 'api version'), /^FreeSWITCH Version /);
    const reply = await bounded(noevents, 'noevents');
    assert.equal(reply.kind, 'command-reply');
    assert.equal(reply.kind === 'command-reply' ? reply.replyText : '', '-ERR not listening for events');
    assert.equal(client.pending, 0);
  });
});

void test("sim: session.getVariable of an unset variable is '' (FreeSWITCH answers -ERR command not found)", async () => {
  await withOutboundSession(async (session) => {
    assert.equal(await bounded(session.getVariable('caller_id_number'), 'a set variable'), '7001');
    assert.equal(await bounded(session.getVariable('fsbus_no_such_var_xyz'), 'an unset variable'), '');
    await bounded(session.set('fsbus_empty', ''), 'set to empty');
    assert.equal(await bounded(session.getVariable('fsbus_empty'), 'an empty variable'), '');
  });
});

void test('sim: executeAsync resolves with the matching CHANNEL_EXECUTE_COMPLETE, like execute', async () => {
  await withSim(async (_sim, client) => {
    const reply = await client.api('originate loopback/7001 &park()');
    const uuid = /^\+OK (\S+)/.exec(reply)?.[1];
    assert.ok(uuid !== undefined, reply);
    const done = await bounded(client.executeAsync(uuid, 'playback', 'tone_stream://%(50,0,440)', { eventUuid: 'fsbus-async-1' }), 'executeAsync');
    assert.equal(done.name, 'CHANNEL_EXECUTE_COMPLETE');
    assert.equal(done.getHeader('Application'), 'playback');
    assert.equal(done.getHeader('Application-UUID'), 'fsbus-async-1');
    assert.equal(done.getHeader('Application-Response'), 'FILE PLAYED');
    assert.equal(done.uuid, uuid);
    await client.api(`uuid_kill ${uuid}`);
  });
});
