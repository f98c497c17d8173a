// Which subjects are command lanes (what is sent there runs on arrival and is never sent twice).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { isCommandSubject } from '../src/command-subjects.js';

void test('command lanes are told from events, replies and other subjects, under the given prefix only', () => {
  for (const s of ['freeswitch.api', 'freeswitch.api.n1', 'freeswitch.node.n1', 'freeswitch.broadcast', 'freeswitch.cmd.async.originate', 'freeswitch.cmd.async.a.b']) {
    assert.equal(isCommandSubject(s, 'freeswitch'), true, s);
  }
  for (const s of ['freeswitch.events.api', 'freeswitch.events.channel.answer', 'freeswitch.node', 'freeswitch.cmd.async', 'freeswitch.api.n1.x', 'freeswitch.broadcast.x', '_INBOX.abc', 'other.api', 'freeswitchx.api']) {
    assert.equal(isCommandSubject(s, 'freeswitch'), false, s);
  }
  assert.equal(isCommandSubject('fs.prod.cmd.async.originate', 'fs.prod'), true);
  assert.equal(isCommandSubject('freeswitch.cmd.async.originate', 'fs.prod'), false);
});
