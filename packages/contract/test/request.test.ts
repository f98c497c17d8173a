import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, BusMessage, parseRequest, invokedVerbs, isVerbPermitted, leadingVerb } from '@fsbus/contract';

const enc = (s: string) => new TextEncoder().encode(s);

void test('checks run in order with the exact messages', () => {
  const cases: Array<[Uint8Array, string, string]> = [
    [new Uint8Array(0), BusMessage.EMPTY_PAYLOAD, BusErrorCode.EMPTY_PAYLOAD],
    // Too large wins over bad JSON: the cap is checked before parsing.
    [enc('x'.repeat(65537)), BusMessage.PAYLOAD_TOO_LARGE, BusErrorCode.PAYLOAD_TOO_LARGE],
    [enc('not json at all'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('{"command":"agent.status"'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('[1,2]'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('"status"'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('null'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [Uint8Array.of(0x7b, 0xff, 0x7d), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('{"args":"foo"}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":42}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":""}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":"   "}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":"SHUTDOWN"}'), BusMessage.COMMAND_DENIED, BusErrorCode.COMMAND_DENIED],
  ];
  for (const [bytes, message, code] of cases) {
    const r = parseRequest(bytes, { denylist: ['shutdown'] });
    assert.equal(r.ok, false, message);
    if (!r.ok) {
      assert.equal(r.message, message);
      assert.equal(r.code, code);
    }
  }
});

void test('the cap is configurable and counts bytes, not chars', () => {
  assert.equal(parseRequest(enc('{"command":"status"}'), { maxPayloadBytes: 20 }).ok, true);
  assert.equal(parseRequest(enc('{"command":"status" }'), { maxPayloadBytes: 20 }).ok, false);
  const r = parseRequest(enc('{"command":"é"}'), { maxPayloadBytes: 15 });
  assert.equal(r.ok, false);
});

void test('a valid request carries its fields, slugged node_id and hints', () => {
  const r = parseRequest(enc('{"command":" status ","args":"x","node_id":"FS.Node","async":true,"forward_to":"obs.x","correlation_id":"c1","timeout_ms":1500,"bg":true}'));
  assert.ok(r.ok);
  assert.equal(r.request.command, 'status');
  assert.equal(r.request.args, 'x');
  assert.equal(r.request.node_id, 'fs_node');
  assert.equal(r.request.async, true);
  assert.equal(r.request.forward_to, 'obs.x');
  assert.equal(r.request.correlation_id, 'c1');
  assert.equal(r.request.timeout_ms, 1500);
  assert.equal(r.request.fields['bg'], true);
});

void test('refusals still expose async, forward_to and correlation_id', () => {
  const r = parseRequest(enc('{"command":"","async":true,"forward_to":"x.y","correlation_id":"k"}'));
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.hints, { async: true, forward_to: 'x.y', correlation_id: 'k' });
  // node_id too (slugged), so a broadcast refusal can stay with the node it names.
  const n = parseRequest(enc('{"command":"","node_id":"Node.2"}'));
  assert.equal(n.ok, false);
  if (!n.ok) assert.equal(n.hints.node_id, 'node_2');
});

void test('an envelope field of the wrong type is refused naming it, never dropped', () => {
  const cases: Array<[string, string]> = [
    // Dropping args would run the bare verb: hupall with no filter hangs up every channel.
    ['{"command":"hupall","args":["NORMAL_CLEARING","tag","a"]}', 'args must be a string, number or boolean'],
    ['{"command":"status","args":{"a":1}}', 'args must be a string, number or boolean'],
    ['{"command":"status","node_id":42}', 'node_id must be a string'],
    ['{"command":"status","node_id":["node-2"]}', 'node_id must be a string'],
    ['{"command":"status","async":"true"}', 'async must be a boolean'],
    ['{"command":"status","async":1}', 'async must be a boolean'],
    ['{"command":"status","bg":"yes"}', 'bg must be a boolean'],
    ['{"command":"status","forward_to":["obs.x"]}', 'forward_to must be a string'],
    ['{"command":"status","correlation_id":{"id":1}}', 'correlation_id must be a string or number'],
    ['{"command":"status","timeout_ms":"soon"}', 'timeout_ms must be a positive number'],
    ['{"command":"status","timeout_ms":-5}', 'timeout_ms must be a positive number'],
    ['{"command":"status","timeout_ms":1e999}', 'timeout_ms must be a positive number'],
  ];
  for (const [body, message] of cases) {
    const r = parseRequest(enc(body));
    assert.equal(r.ok, false, body);
    if (!r.ok) {
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, body);
      assert.equal(r.message, message, body);
    }
  }
  // The refusal is still routed (correlation_id echoed, forward_to kept) and audited with its command.
  const r = parseRequest(enc('{"command":"status","timeout_ms":"soon","forward_to":"obs.x","correlation_id":7}'));
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.hints, { async: false, forward_to: 'obs.x', correlation_id: '7', command: 'status' });
});

void test('a numeric correlation_id that is not a safe integer is refused: it could not be echoed as sent', () => {
  const refused = ['12345678901234567890', '9007199254740992', '-9007199254740992', '1.5', '1e300'];
  for (const n of refused) {
    const r = parseRequest(enc(`{"command":"status","correlation_id":${n}}`));
    assert.equal(r.ok, false, n);
    if (!r.ok) {
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, n);
      assert.equal(r.message, 'correlation_id must be a string, or an integer within ±9007199254740991 (2^53-1): send it as a string', n);
      // The refusal echoes the digits as sent (JSON.parse's rounding would make it unmatchable).
      assert.equal(r.hints.correlation_id, n, n);
    }
  }
  // A number past what a double holds is a number too: refused the same way, echoed as sent.
  const huge = parseRequest(enc('{"command":"status","correlation_id":1E400}'));
  assert.equal(huge.ok ? '' : huge.message, 'correlation_id must be a string, or an integer within ±9007199254740991 (2^53-1): send it as a string');
  assert.equal(huge.ok ? '' : huge.hints.correlation_id, '1E400');
  // The top-level key as JSON.parse reads it: nested ones skipped, escapes decoded, the last of a repeated key.
  const tricky: Array<[string, string]> = [
    ['{"variables":{"correlation_id":1},"list":[{"correlation_id":2}],"command":"status","correlation_id":12345678901234567890}', '12345678901234567890'],
    ['{"command":"status","correlation\\u005fid" : -12345678901234567890.50e+2 }', '-12345678901234567890.50e+2'],
    ['{"command":"status","correlation_id":"x","note":"\\"correlation_id\\":1","correlation_id":9007199254740993}', '9007199254740993'],
  ];
  for (const [body, sent] of tricky) {
    const r = parseRequest(enc(body));
    assert.equal(r.ok, false, body);
    if (!r.ok) assert.equal(r.hints.correlation_id, sent, body);
  }
  // Any refusal of such a request echoes it so: a missing command, a field of another type.
  for (const body of ['{"correlation_id":12345678901234567890}', '{"command":"status","async":"no","correlation_id":12345678901234567890}']) {
    const r = parseRequest(enc(body));
    assert.equal(r.ok ? '' : r.hints.correlation_id, '12345678901234567890', body);
  }
  // The async lane's body too (the lane names the command).
  const lane = parseRequest(enc('{"correlation_id":12345678901234567890,"forward_to":"obs.x"}'), { command: 'status' });
  assert.equal(lane.ok ? '' : lane.hints.correlation_id, '12345678901234567890');
  // Safe integers come back as JavaScript writes them: 1.0 as "1", 1e3 as "1000", -0 as "0".
  const echoed: Array<[string, string]> = [['42', '42'], ['1.0', '1'], ['1e3', '1000'], ['-0', '0'], ['9007199254740991', '9007199254740991'], ['-9007199254740991', '-9007199254740991']];
  for (const [n, text] of echoed) {
    const r = parseRequest(enc(`{"command":"status","correlation_id":${n}}`));
    assert.ok(r.ok, n);
    assert.equal(r.request.correlation_id, text, n);
  }
});

void test('allowed types pass: args as number or boolean, null as absent, fractional timeout_ms', () => {
  const n = parseRequest(enc('{"command":"echo","args":42}'));
  assert.ok(n.ok);
  assert.equal(n.request.args, '42');
  const b = parseRequest(enc('{"command":"echo","args":true}'));
  assert.ok(b.ok);
  assert.equal(b.request.args, 'true');
  const nul = parseRequest(enc('{"command":"status","args":null,"node_id":null,"async":null,"bg":null,"forward_to":null,"correlation_id":null,"timeout_ms":null}'));
  assert.ok(nul.ok);
  assert.deepEqual(Object.keys(nul.request).sort(), ['command', 'fields']);
  // Go's zero values (a struct without omitempty), where "" or 0 is no valid value: absent too.
  const zero = parseRequest(enc('{"command":"status","args":"","node_id":"","async":false,"bg":false,"forward_to":"","correlation_id":"","timeout_ms":0}'));
  assert.ok(zero.ok);
  assert.deepEqual(Object.keys(zero.request).sort(), ['command', 'fields']);
  // A correlation_id of 0 is an id: echoed.
  const id0 = parseRequest(enc('{"command":"status","correlation_id":0}'));
  assert.equal(id0.ok ? id0.request.correlation_id : '', '0');
  const t = parseRequest(enc('{"command":"status","timeout_ms":0.5}'));
  assert.ok(t.ok);
  assert.equal(t.request.timeout_ms, 1);
});

void test('a lane that names the command: empty body allowed, a body command equal to it (trimmed) or null fine, other checks on the bytes', () => {
  const empty = parseRequest(new Uint8Array(0), { command: 'status' });
  assert.ok(empty.ok);
  assert.equal(empty.request.command, 'status');
  assert.deepEqual(empty.request.fields, { command: 'status' });
  for (const same of ['{"command":"status","args":"x"}', '{"command":"  status\\t","args":"x"}', '{"command":null,"args":"x"}', '{"args":"x"}']) {
    const r = parseRequest(enc(same), { command: 'status' });
    assert.ok(r.ok, same);
    assert.equal(r.request.command, 'status');
    assert.equal(r.request.args, 'x');
  }
  const bad = parseRequest(Uint8Array.of(0x7b, 0xff, 0x7d), { command: 'status' });
  assert.equal(bad.ok ? '' : bad.code, BusErrorCode.INVALID_JSON);
  const atCap = parseRequest(enc(`{"p":"${'x'.repeat(20 - 8)}"}`), { command: 'status', maxPayloadBytes: 20 });
  assert.ok(atCap.ok);
  assert.equal(parseRequest(enc('[]'), { command: 'status' }).ok, false);
});

void test('a lane that names the command refuses a body naming another: it is never run as the subject\'s', () => {
  const refused: Array<[string, string]> = [
    ['{"command":"uuid_exists","args":"probe-7"}', 'the body\'s command "uuid_exists" differs from the subject\'s "status": the async lane runs only the command its subject names (leave command out of the body, or publish it to its own lane)'],
    // Compared as the contract compares command names: trimmed, case-sensitive.
    ['{"command":"Status"}', 'the body\'s command "Status" differs from the subject\'s "status": the async lane runs only the command its subject names (leave command out of the body, or publish it to its own lane)'],
    ['{"command":"  "}', 'the body\'s command "" differs from the subject\'s "status": the async lane runs only the command its subject names (leave command out of the body, or publish it to its own lane)'],
    ['{"command":42}', 'the body\'s command must be a string, the subject\'s "status" (or left out): got a number'],
    ['{"command":["status"]}', 'the body\'s command must be a string, the subject\'s "status" (or left out): got an array'],
  ];
  for (const [body, message] of refused) {
    const r = parseRequest(enc(body), { command: 'status' });
    assert.equal(r.ok, false, body);
    if (!r.ok) {
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, body);
      assert.equal(r.message, message, body);
    }
  }
  // A long name is cut in the message; the refusal is still routed and audited as the subject's command.
  const long = parseRequest(enc(JSON.stringify({ command: 'x'.repeat(500), forward_to: 'obs.x', correlation_id: 'c-7' })), { command: 'status' });
  assert.equal(long.ok, false);
  if (!long.ok) {
    assert.ok(long.message.length < 300, long.message);
    assert.match(long.message, /"x{64}…"/);
    assert.deepEqual(long.hints, { async: false, forward_to: 'obs.x', correlation_id: 'c-7', command: 'status' });
  }
  // Cut before an emoji, not inside it: half of one is a lone surrogate, `\ud83d` in the JSON reply.
  const emoji = parseRequest(enc(JSON.stringify({ command: `${'a'.repeat(63)}\u{1F600}\u{1F600}` })), { command: 'status' });
  assert.equal(emoji.ok ? '' : emoji.message.includes(`"${'a'.repeat(63)}…"`), true, emoji.ok ? '' : emoji.message);
  assert.doesNotMatch(emoji.ok ? '' : JSON.stringify(emoji.message), /\\ud83d/);
  // Before the verb policy: the mismatch is what is wrong, whatever the lists say of either command.
  const denied = parseRequest(enc('{"command":"hupall"}'), { command: 'hupall', denylist: ['hupall'] });
  assert.equal(denied.ok ? '' : denied.code, BusErrorCode.COMMAND_DENIED);
  const both = parseRequest(enc('{"command":"status"}'), { command: 'uptime', denylist: ['uptime'] });
  assert.equal(both.ok ? '' : both.code, BusErrorCode.INVALID_ARGUMENT);
});

void test('verb policy: leading verb, case-insensitive; denylist wins; allowlist admits only its verbs', () => {
  assert.equal(leadingVerb('  Show   channels '), 'show');
  assert.equal(isVerbPermitted('status', {}), true);
  assert.equal(isVerbPermitted('Shutdown now', { denylist: ['shutdown'] }), false);
  assert.equal(isVerbPermitted('status', { allowlist: ['STATUS', 'version'] }), true);
  assert.equal(isVerbPermitted('uptime', { allowlist: ['status'] }), false);
  assert.equal(isVerbPermitted('status', { allowlist: ['status'], denylist: ['status'] }), false);
  // Wrappers run the verb in their arguments: the lists see it.
  assert.deepEqual(invokedVerbs('sched_api', '+10 none shutdown'), ['sched_api', 'shutdown']);
  assert.deepEqual(invokedVerbs('sched_api +10'), ['sched_api']);
  assert.deepEqual(invokedVerbs('status', 'system'), ['status']);
  assert.equal(isVerbPermitted('expand', { denylist: ['system'] }, 'system id'), false);
  assert.equal(isVerbPermitted('bgapi system', { denylist: ['system'] }, 'id'), false);
  assert.equal(isVerbPermitted('bgapi', { allowlist: ['bgapi', 'status'] }, 'status'), true);
  assert.equal(isVerbPermitted('bgapi', { allowlist: ['bgapi', 'status'] }, 'uptime'), false);
  assert.equal(isVerbPermitted('status', { denylist: ['system'] }, 'system'), true);
  const wrapped = parseRequest(new TextEncoder().encode('{"command":"expand","args":"system id"}'), { denylist: ['system'] });
  assert.equal(wrapped.ok, false);
  assert.equal(!wrapped.ok && wrapped.code, BusErrorCode.COMMAND_DENIED);
  // Every wrapper FreeSWITCH has, with its optional words, and its own way of splitting words.
  const deny = { denylist: ['system'] };
  for (const [command, args] of [
    ['xml_wrap', 'system id'],
    ['xml_wrap encoded system id', undefined],
    ['expand', 'uuid:x system id'],
    ['sched_api', '+1  system id'],
    ['sched_api', '+1 none\tstatus system id'],
    ['sched_api', '+1 none system&'],
    ['eval', '${system(id)}'],
    ['expand', 'echo ${ System(id)}'],
    ['expand', 'echo ${system (id)}'],
    ['expand', 'echo ${sys${x}tem(id)}'],
    ['sched_api', '+1  \tsystem id'],
    ['sched_api', '+1 none\tx  system id'],
  ] as const) {
    assert.equal(isVerbPermitted(command, deny, args), false, `${command} ${args ?? ''}`);
  }
  assert.deepEqual(invokedVerbs('xml_wrap', 'encoded status'), ['xml_wrap', 'status']);
  assert.deepEqual(invokedVerbs('sched_api', '+1 none status&'), ['sched_api', 'status']);
  assert.equal(isVerbPermitted('expand', { allowlist: ['expand', 'echo'] }, 'echo ${strftime(%Y)}'), false);
  assert.equal(isVerbPermitted('expand', { allowlist: ['expand', 'echo'] }, 'echo ${domain}'), true);
  assert.equal(isVerbPermitted('expand', { allowlist: ['expand', 'echo'] }, 'echo ${sys${x}tem(id)}'), false);
  // A variable next to parentheses is no call: bgapi originate {…=${x}}user/1000 &park() stays admitted.
  assert.equal(isVerbPermitted('bgapi', { allowlist: ['bgapi', 'originate'] }, 'originate {origination_caller_id_name=${x}}user/1000 &park()'), true);
  assert.deepEqual(invokedVerbs('bgapi', 'expand  System id'), ['bgapi', 'expand', 'system', '?']);
  const r = parseRequest(enc('{"command":"agent.status"}'), { allowlist: ['status'], policyApplies: (c) => c !== 'agent.status' });
  assert.equal(r.ok, true);
});

void test('json is a wrapper: fsapi runs data.cmd, execute runs data.app, read as cJSON reads them', () => {
  const deny = { denylist: ['system'] };
  const fsapi = (data: unknown) => JSON.stringify({ command: 'fsapi', data });
  assert.deepEqual(invokedVerbs('json', fsapi({ cmd: 'system', arg: 'id' })), ['json', 'system']);
  assert.deepEqual(invokedVerbs('json', fsapi({ cmd: 'bgapi', arg: 'system id' })), ['json', 'bgapi', 'system']);
  assert.deepEqual(invokedVerbs('json', JSON.stringify({ command: 'status', data: '' })), ['json']);
  for (const [command, args] of [
    ['json', fsapi({ cmd: 'system', arg: 'id' })],
    ['bgapi', `json ${fsapi({ cmd: 'system', arg: 'id' })}`],
    ['json', fsapi({ cmd: 'expand', arg: 'echo ${system(id)}' })],
    ['json', fsapi({ cmd: 'json', arg: fsapi({ cmd: 'system', arg: 'id' }) })],
    // cJSON matches keys case-insensitively, keeps the first of a repeated one, drops U+0000.
    ['json', '{"COMMAND":"FSAPI","Data":{"Cmd":"system","arg":"id"}}'],
    ['json', '{"command":"fsapi","data":{"cmd":"system","cmd":"status"}}'],
    ['json', '{"command":"fsapi","data":{"cmd":"sys\\u0000tem"}}'],
    ['json', JSON.stringify({ command: 'execute', data: { uuid: 'u', app: 'system', arg: 'id' } })],
    ['json', JSON.stringify({ command: 'execute', data: { uuid: 'u', app: 'log', arg: '${system(id)}' } })],
    // Unclear: not JSON, an unknown JSON API, an unexpected shape.
    ['json', '{"command":"fsapi"'],
    ['json', JSON.stringify({ command: 'conference', data: {} })],
    ['json', fsapi({ cmd: 42 })],
    ['json', fsapi('system id')],
  ] as const) {
    assert.equal(isVerbPermitted(command, deny, args), false, `${command} ${args}`);
  }
  assert.equal(isVerbPermitted('json', { allowlist: ['json', 'status'] }, fsapi({ cmd: 'status' })), true);
  assert.equal(isVerbPermitted('json', { allowlist: ['json', 'status'] }, fsapi({ cmd: 'uptime' })), false);
  const r = parseRequest(enc(JSON.stringify({ command: 'json', args: fsapi({ cmd: 'system', arg: 'id' }), bg: true })), deny);
  assert.equal(!r.ok && r.code, BusErrorCode.COMMAND_DENIED);
});

void test('an API called in an expansion is read as a command: a wrapper there runs its argument too', () => {
  const deny = { denylist: ['system'] };
  assert.deepEqual(invokedVerbs('expand', 'echo ${bgapi(system id)}'), ['expand', 'echo', 'bgapi', 'system']);
  assert.deepEqual(invokedVerbs('echo', '${json({"command":"fsapi","data":{"cmd":"system"}})}'), ['echo', 'json', 'system']);
  assert.equal(isVerbPermitted('expand', deny, 'echo ${bgapi(system id)}'), false);
  assert.equal(isVerbPermitted('expand', deny, 'echo ${expand(echo ${sched_api(+1 none system id)})}'), false);
  assert.equal(isVerbPermitted('expand', deny, 'echo ${uptime()}'), true);
});

void test('json nested in json is read to a budget: two levels are read exactly, past the budget a json is unclear', () => {
  const allow = { allowlist: ['json', 'status'] };
  const nest = (levels: number, blanks = ''): string => {
    let text = JSON.stringify({ command: 'fsapi', data: { cmd: 'status' } });
    for (let i = 1; i < levels; i++) text = `{"command":"fsapi",${blanks}"data":{"cmd":"json","arg":${JSON.stringify(text)}}}`;
    return text;
  };
  assert.equal(isVerbPermitted('json', allow, nest(2)), true);
  // Spacings that give the same words are read once: eight plain levels are read exactly.
  assert.equal(isVerbPermitted('json', allow, nest(8)), true);
  // Odd spacing is read under three spacings a level: 3^depth reads of the payload (250 ms for 13 KB, 8 deep).
  assert.ok(invokedVerbs('json', nest(8, '  ')).includes('?'));
  assert.equal(isVerbPermitted('json', allow, nest(8, '  ')), false);
  // Past the nesting depth: unclear however it is spaced.
  assert.equal(isVerbPermitted('json', allow, nest(9)), false);
});

void test('a command with more expansions than the policy reads is refused: matching each brace cost seconds for a crafted one', () => {
  const deny = { denylist: ['system'] };
  assert.equal(isVerbPermitted('echo', deny, '${a(x)}'.repeat(64)), true);
  assert.equal(isVerbPermitted('echo', deny, '${a(x)}'.repeat(65)), false);
  assert.equal(isVerbPermitted('echo', deny, '${'.repeat(30_000)), false);
  assert.equal(isVerbPermitted('echo', {}, '${a(x)}'.repeat(65)), true, 'no lists: nothing is read');
});

void test('a node_id past 128 characters is refused: the hand-off subject would be too long for the broker', () => {
  const long = parseRequest(enc(JSON.stringify({ command: 'status', node_id: 'n'.repeat(129) })), {});
  assert.equal(long.ok ? '' : long.code, BusErrorCode.INVALID_ARGUMENT);
  assert.equal(long.ok ? '' : long.message, 'node_id must be at most 128 characters');
  const ok = parseRequest(enc(JSON.stringify({ command: 'status', node_id: 'N'.repeat(128) })), {});
  assert.equal(ok.ok && ok.request.node_id, 'n'.repeat(128));
});

void test('a node_id whose slug passes 128 characters is refused: lowercasing can lengthen it (İ lowercases to i + U+0307)', () => {
  // 128 units as sent, 256 once lowercased: its hand-off subject would carry a 256-character slug.
  const long = parseRequest(enc(JSON.stringify({ command: 'status', node_id: '\u0130'.repeat(128) })), {});
  assert.equal(long.ok ? '' : long.code, BusErrorCode.INVALID_ARGUMENT);
  assert.equal(long.ok ? '' : long.message, 'node_id must be at most 128 characters');
  const ok = parseRequest(enc(JSON.stringify({ command: 'status', node_id: '\u0130'.repeat(64) })), {});
  assert.equal(ok.ok && ok.request.node_id, 'i_'.repeat(64));
});
