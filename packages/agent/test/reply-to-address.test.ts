// commands.reply_to, unit level: how a reply address is read before the patterns weigh it. An
// MQTT Response Topic is the subject whose topic the driver would make of it, the agent's own
// namespace one level as the driver writes its reply topics (`pbx.eu1/reply/<client id>`); an
// address whose subject form is not a publishable subject (a wildcard, an empty token) is refused
// when a list is set, whatever text the patterns would take it for.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { replySubject, replyToAllowed } from '../src/reply-to-policy.js';

void test('mqtt with a dotted subject_prefix: `<prefix>/reply/<id>` (the driver\'s own reply topics) is read as `<prefix>.reply.<id>`', () => {
  assert.equal(replySubject('mqtt', 'pbx.eu1/reply/fsbus-0a1b2c', 'pbx.eu1'), 'pbx.eu1.reply.fsbus-0a1b2c');
  assert.equal(replyToAllowed(['pbx.eu1.reply.>'], 'mqtt', 'pbx.eu1/reply/fsbus-0a1b2c', 'pbx.eu1'), true);
  // The topic the driver makes of the subject `pbx.eu1.reply.x` when it publishes it.
  assert.equal(replyToAllowed(['pbx.eu1.reply.>'], 'mqtt', 'pbx/eu1/reply/x', 'pbx.eu1'), true);
  // A `.` anywhere else is still a level no subject maps to: another namespace, or below the agent's.
  for (const topic of ['pbx.eu1.reply.x', 'pbx.eu1/reply/a.b', 'pbx.eu2/reply/x', 'pbx.eu1x/reply/x', 'x/pbx.eu1/reply/x']) {
    assert.equal(replyToAllowed(['pbx.eu1.reply.>', 'pbx.eu2.reply.>', 'x.>'], 'mqtt', topic, 'pbx.eu1'), false, topic);
  }
  // An undotted prefix reads as before.
  assert.equal(replySubject('mqtt', 'freeswitch/reply/c1', 'freeswitch'), 'freeswitch.reply.c1');
  assert.equal(replySubject('mqtt', 'freeswitch.reply.x', 'freeswitch'), undefined);
  assert.equal(replySubject('nats', '_INBOX.abc', 'pbx.eu1'), '_INBOX.abc');
});

void test('a reply address whose subject form is not a publishable subject is refused when a list is set', () => {
  const refused: Array<[string[], string, string]> = [
    [['_INBOX.>'], 'nats', '_INBOX.>'],
    [['_INBOX.>'], 'nats', '_INBOX.*'],
    [['_INBOX.>'], 'nats', '_INBOX.'],
    [['_INBOX.>'], 'nats', '_INBOX..billing.refund'],
    [['_INBOX.*'], 'nats', '_INBOX.a b'],
    [['freeswitch.reply.>'], 'mqtt', 'freeswitch/reply/'],
    [['freeswitch.reply.*'], 'mqtt', 'freeswitch/reply/'],
    [['freeswitch.reply.>'], 'mqtt', 'freeswitch/reply//billing/refund'],
    [['freeswitch.reply.>'], 'mqtt', 'freeswitch/reply/+'],
    [['freeswitch.reply.>'], 'mqtt', 'freeswitch/reply/#'],
    [['freeswitch.reply.>'], 'mqtt', 'freeswitch/reply/x\u0000'],
    [['pbx.eu1.reply.>'], 'mqtt', 'pbx.eu1/reply/'],
  ];
  for (const [patterns, driver, address] of refused) {
    assert.equal(replyToAllowed(patterns, driver, address, driver === 'mqtt' ? patterns[0]!.split('.reply.')[0]! : undefined), false, `${driver} ${address}`);
  }
  // What nats.js and the SDK generate (`_INBOX.<nuid>`, muxed `_INBOX.<nuid>.<nuid>`), and the MQTT drivers' reply topics.
  const answered: Array<[string[], string, string]> = [
    [['_INBOX.>'], 'nats', '_INBOX.x'],
    [['_INBOX.>'], 'nats', '_INBOX.AbC09xYz1234567890aBcD.QrSt5678UvWx9012YzAb34'],
    [['_INBOX_alice.>'], 'nats', '_INBOX_alice.abc.def'],
    [['freeswitch.reply.>'], 'mqtt', 'freeswitch/reply/fsbus-0123456789abcdef'],
  ];
  for (const [patterns, driver, address] of answered) assert.equal(replyToAllowed(patterns, driver, address, 'freeswitch'), true, `${driver} ${address}`);
  // No list: any address the driver takes (the drivers weigh their own rules).
  assert.equal(replyToAllowed([], 'nats', '_INBOX.>', 'freeswitch'), true);
});
