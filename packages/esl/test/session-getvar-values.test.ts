// getVariable returns FreeSWITCH's Reply-Text as the value, whatever it starts with: mod_event_socket
// answers `getvar` with the value itself, and with `-ERR command not found` only for an unset (or
// empty) variable or no name (its fallthrough for an empty reply). @fsbus/sim answers the same.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslCommandError } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

void test('getVariable: values starting -ERR / -USAGE come back as they are; unset and empty are ""', async () => {
  await withDialplanSession('async full', async ({ session }) => {
    await session.set('v_err', '-ERR nope');
    await session.set('v_usage', '-USAGE: x');
    await session.set('v_plus', '+OK fine');
    assert.equal(await bounded(session.getVariable('v_err'), 'getvar v_err'), '-ERR nope');
    assert.equal(await bounded(session.getVariable('v_usage'), 'getvar v_usage'), '-USAGE: x');
    assert.equal(await bounded(session.getVariable('v_plus'), 'getvar v_plus'), '+OK fine');
    assert.equal((await bounded(session.getvar('v_err'), 'raw getvar')).replyText, '-ERR nope');
    assert.equal(await bounded(session.getVariable('fsbus_never_set'), 'getvar unset'), '');
    // The raw command keeps FreeSWITCH's answer for an unset variable as a refusal.
    await assert.rejects(bounded(session.getvar('fsbus_never_set'), 'raw getvar unset'), (err: unknown) => err instanceof EslCommandError && err.reply === '-ERR command not found');
    // No name: FreeSWITCH's same fallthrough reply.
    const noName = await bounded(session.sendRecv('getvar'), 'getvar without a name');
    assert.equal(noName.kind === 'command-reply' ? noName.replyText : noName.body, '-ERR command not found');
    await session.close();
  });
});
