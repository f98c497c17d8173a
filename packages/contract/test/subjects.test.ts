import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { buildSubjects, eventSubjectTail, forwardToProblem, isPublishableSubject, sanitizePrefix, slugNodeId } from '@fsbus/contract';

void test('prefix is capped at 64 chars and unsafe chars become _', () => {
  assert.equal(sanitizePrefix('freeswitch'), 'freeswitch');
  assert.equal(sanitizePrefix('fs prod\r\n>*'), 'fs_prod____');
  assert.equal(sanitizePrefix('a'.repeat(80)).length, 64);
  assert.equal(sanitizePrefix('My-Prefix_1.x'), 'My-Prefix_1.x');
  assert.equal(sanitizePrefix(''), 'freeswitch');
});

void test('node_id slug: lowercase, outside [a-z0-9_-] becomes _', () => {
  assert.equal(slugNodeId('FS-Node.01'), 'fs-node_01');
  assert.equal(slugNodeId('fs_node_01'), 'fs_node_01');
  assert.equal(slugNodeId('a b*c>'), 'a_b_c_');
});

void test('event subject mapping table', () => {
  const table: Array<[string, string | undefined, string]> = [
    ['CHANNEL_CREATE', undefined, 'channel.create'],
    ['CHANNEL_ANSWER', undefined, 'channel.answer'],
    ['CHANNEL_EXECUTE', undefined, 'channel.execute'],
    ['CHANNEL_EXECUTE_COMPLETE', undefined, 'channel.execute.complete'],
    ['CHANNEL_HANGUP_COMPLETE', undefined, 'channel.hangup.complete'],
    ['DETECTED_SPEECH', undefined, 'detected.speech'],
    ['RECORD_START', undefined, 'record.start'],
    ['RECV_INFO', undefined, 'recv.info'],
    ['HEARTBEAT', undefined, 'heartbeat'],
    ['BACKGROUND_JOB', undefined, 'background.job'],
    ['CUSTOM', 'sofia::register', 'custom.sofia.register'],
    ['CUSTOM', 'fsbus::demo', 'custom.fsbus.demo'],
    ['CUSTOM', 'sofia::gateway_state', 'custom.sofia.gateway_state'],
    ['CUSTOM', 'Conference::Maintenance', 'custom.conference.maintenance'],
    ['CUSTOM', 'bad sub*class>', 'custom.bad_sub_class_'],
    ['CUSTOM', undefined, 'custom'],
  ];
  for (const [name, sub, tail] of table) assert.equal(eventSubjectTail(name, sub), tail, `${name} ${sub ?? ''}`);
  assert.equal(buildSubjects().event('CHANNEL_EXECUTE_COMPLETE'), 'freeswitch.events.channel.execute.complete');
  assert.equal(buildSubjects('pbx').event('CUSTOM', 'sofia::register'), 'pbx.events.custom.sofia.register');
});

void test('command lanes', () => {
  const s = buildSubjects('freeswitch');
  assert.equal(s.api, 'freeswitch.api');
  assert.equal(s.broadcast, 'freeswitch.broadcast');
  assert.equal(s.node('FS-Node-01'), 'freeswitch.node.fs-node-01');
  assert.equal(s.apiNode('fs1'), 'freeswitch.api.fs1');
  assert.equal(s.asyncCommand('uuid_kill'), 'freeswitch.cmd.async.uuid_kill');
  assert.equal(s.asyncWildcard, 'freeswitch.cmd.async.>');
  assert.equal(s.eventsWildcard, 'freeswitch.events.>');
});

void test('isOwnSubject refuses the agent subjects and wildcards, accepts others', () => {
  const s = buildSubjects('freeswitch');
  for (const own of ['freeswitch.api', 'freeswitch.api.n1', 'freeswitch.node.n1', 'freeswitch.broadcast', 'freeswitch.cmd.async.status', 'freeswitch.events.channel.create', 'freeswitch.events', '>', 'freeswitch.*']) {
    assert.equal(s.isOwnSubject(own), true, own);
  }
  for (const other of ['metrics.cmd.results', 'audit.fs.commands', 'freeswitch_other.api', 'freeswitchx.api']) {
    assert.equal(s.isOwnSubject(other), false, other);
  }
});

void test('isOwnSubject refuses each lane root and every subject below it: Kafka carries `<p>.broadcast.x` on the broadcast topic', () => {
  for (const prefix of ['freeswitch', 'pbx.eu1']) {
    const s = buildSubjects(prefix);
    for (const root of ['api', 'broadcast', 'node', 'cmd', 'events']) {
      for (const own of [`${prefix}.${root}`, `${prefix}.${root}.x`, `${prefix}.${root}.x.y`]) assert.equal(s.isOwnSubject(own), true, own);
    }
    for (const other of [`${prefix}.broadcastx`, `${prefix}.broadcast_x.y`, `${prefix}.results.broadcast`, `${prefix}.nodes.n1`, `${prefix}`, `x.${prefix}.broadcast`]) {
      assert.equal(s.isOwnSubject(other), false, other);
    }
  }
});

void test('publishable subjects: dotted tokens, no spaces, wildcards or empty tokens', () => {
  for (const ok of ['a', 'metrics.cmd.results', '_INBOX.abc123.x', 'a-b.c_d.$e:f']) assert.equal(isPublishableSubject(ok), true, ok);
  for (const bad of ['', 'a b', 'a.>', 'a.*', 'a..b', '.a', 'a.', 'a\r\nPUB x', 'x'.repeat(256)]) assert.equal(isPublishableSubject(bad), false, bad);
});

void test('a forward_to that is not a subject is refused with the rule itself: its length and its characters', () => {
  const subjects = buildSubjects('freeswitch');
  const rule = 'forward_to must be a subject: at most 255 characters of dot-separated tokens of [A-Za-z0-9_$:-] (no spaces, wildcards or empty tokens)';
  for (const bad of ['obs.caf\u00e9', 'x'.repeat(256), '.obs', 'obs..x', 'obs x']) assert.equal(forwardToProblem(bad, subjects), rule, bad);
  for (const ok of ['obs.x', `a.${'x'.repeat(253)}`, 'a-b.c_d.e:f']) assert.equal(forwardToProblem(ok, subjects), undefined, ok);
});

void test('a very long CUSTOM subclass still makes a subject every broker takes (AMQP: 255), distinct per subclass', () => {
  const subjects = buildSubjects('p'.repeat(64));
  const subclass = (c: string): string => `vendor::${c.repeat(300)}`;
  for (const c of ['a', 'b']) {
    const subject = subjects.event('CUSTOM', subclass(c));
    assert.ok(isPublishableSubject(subject), `${subject.length} characters`);
    assert.ok(subject.startsWith(`${'p'.repeat(64)}.events.custom.vendor.${c}${c}`), subject);
  }
  assert.notEqual(subjects.event('CUSTOM', subclass('a')), subjects.event('CUSTOM', subclass('a') + 'x'));
  const short = `vendor::${'y'.repeat(150)}`;
  assert.equal(eventSubjectTail('CUSTOM', short), `custom.vendor.${'y'.repeat(150)}`, 'short enough: unchanged');
});
