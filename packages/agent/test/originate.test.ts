import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, originateWaitMs } from '@fsbus/contract';
import { buildOriginate, commandTimeoutMs, escapeVarValue, MAX_COMMAND_TIMEOUT_MS, originateOutcome, type CommandContext } from '@fsbus/agent';
import { originateCommand } from '../src/commands/originate.js';

void test('originate line: vars quoted, defaults, preset uuid', () => {
  const r = buildOriginate({
    endpoint: 'user/1000',
    destination: '&park()',
    caller_id_name: 'Bot One',
    caller_id_number: '5551234',
    timeout: 30,
    uuid: 'abc-123',
    variables: { custom_var: 'a,b', n: 1 },
  });
  assert.ok('line' in r);
  assert.equal(r.uuid, 'abc-123');
  assert.equal(
    r.line,
    "originate {origination_uuid=abc-123,origination_caller_id_name='Bot One',origination_caller_id_number=5551234,originate_timeout=30,custom_var=a\\,b,n=1}user/1000 &park() XML default",
  );
  const d = buildOriginate({ endpoint: 'loopback/7001', extension: '7001', dialplan: 'XML', context: 'public' });
  assert.ok('line' in d);
  // To an extension, the leg is also named for park mode (park-originate.test.ts).
  assert.match(d.line, /^originate \{origination_uuid=([0-9a-f-]{36}),fsbus_originated=\1\}loopback\/7001 7001 XML public$/);
});

void test('originate validation messages (mod_event_agent wording) and injection refusals', () => {
  const err = (fields: Record<string, unknown>) => {
    const r = buildOriginate(fields);
    return 'error' in r ? r.error : 'no error';
  };
  assert.equal(err({}), 'endpoint must be between 1 and 255 characters');
  assert.equal(err({ endpoint: '' }), 'endpoint must be between 1 and 255 characters');
  assert.equal(err({ endpoint: 'x'.repeat(256), extension: '1' }), 'endpoint must be between 1 and 255 characters');
  assert.equal(err({ endpoint: 'user/1000' }), 'extension must be between 1 and 255 characters');
  assert.equal(err({ endpoint: 'user/1000', extension: '1', context: 'c'.repeat(128) }), 'context must be 127 characters or fewer');
  assert.match(err({ endpoint: 'user/1000 &bgapi(x)', extension: '1' }), /endpoint must not contain/);
  assert.match(err({ endpoint: '[leg_timeout=1]user/1000', extension: '1' }), /endpoint must not contain/);
  assert.match(err({ endpoint: 'user/${system(id)}', extension: '1' }), /endpoint must not contain/);
  assert.equal(err({ endpoint: 'user/1000', extension: 42 }), 'extension must be a string');
  assert.match(err({ endpoint: 'user/1000', extension: '&park()', variables: { a: 'x\ny' } }), /variable a/);
  assert.match(err({ endpoint: 'user/1000', extension: '&park()', variables: { a: 'x\\,y' } }), /variable a/);
  assert.match(err({ endpoint: 'user/1000', extension: '&park()', variables: { a: {} } }), /variable a must be a string/);
  assert.match(err({ endpoint: 'user/1000', extension: '&park()', variables: [] }), /variables must be an object/);
  assert.match(err({ endpoint: 'user/1000', extension: '&park()', timeout: 1.5 }), /timeout/);
  assert.match(err({ endpoint: 'user/1000', extension: '&1park(x y' }), /extension must be &app/);
  assert.match(err({ endpoint: 'user/1000', extension: '1 XML evil' }), /extension must not contain/);
  assert.match(err({ endpoint: 'user/1000', extension: "&park()' x" }), /extension must be &app/);
  assert.match(err({ endpoint: 'user/1000', extension: '1', caller_id_name: "x'}evil" }), /caller_id_name/);
  assert.match(err({ endpoint: 'user/1000', extension: '1', variables: { 'a b': '1' } }), /variable name/);
  assert.match(err({ endpoint: 'user/1000', extension: '1', variables: { a: 'x}y' } }), /variable a/);
  assert.match(err({ endpoint: 'user/1000', extension: '1', timeout: 'soon' }), /timeout/);
  assert.equal(err({ endpoint: 'user/1000', extension: '1', uuid: 'a' }), 'uuid must be between 2 and 63 characters');
  assert.equal(err({ endpoint: 'user/1000', extension: '1', uuid: 'a b' }), 'uuid must contain only letters, digits, -, _, . and :');
});

void test("preset uuid: hangup's set (letters, digits, -, _, . and :), but never FreeSWITCH's enterprise separator", () => {
  const err = (fields: Record<string, unknown>): string => {
    const r = buildOriginate(fields);
    return 'error' in r ? r.error : 'no error';
  };
  for (const uuid of ['crm_call.1', 'crm:42', 'A-b_c.d:e']) {
    const r = buildOriginate({ endpoint: 'user/1000', extension: '&park()', uuid });
    assert.ok('line' in r, `${uuid}: ${JSON.stringify(r)}`);
    assert.equal(r.uuid, uuid);
    assert.equal(r.line, `originate {origination_uuid=${uuid}}user/1000 &park() XML default`);
  }
  for (const uuid of ['a,b', 'a}b', "a'b", 'a|b', 'a\\b']) {
    assert.equal(err({ endpoint: 'user/1000', extension: '&park()', uuid }), 'uuid must contain only letters, digits, -, _, . and :', uuid);
  }
  // switch_ivr_originate looks for ':_:' anywhere in its dial string, the {…} block included, and
  // splits the whole string there (enterprise originate): the block would be cut in two.
  assert.equal(err({ endpoint: 'user/1000', extension: '&park()', uuid: 'crm:_:1' }), 'uuid must not contain ":_:" (FreeSWITCH splits an originate there)');
  assert.equal(err({ endpoint: 'user/1000', extension: '&park()', caller_id_name: 'a:_:b' }), 'caller_id_name must not contain ":_:" (FreeSWITCH splits an originate there)');
  assert.equal(err({ endpoint: 'user/1000', extension: '&park()', variables: { crm: 'x:_:y' } }), 'variable crm must not contain ":_:" (FreeSWITCH splits an originate there)');
  // The endpoint itself may hold it: that is the enterprise originate asked for.
  assert.ok('line' in buildOriginate({ endpoint: 'user/1000:_:user/1001', extension: '&park()' }));
});

void test("variables may not set what the agent sets from its fields (FreeSWITCH keeps the last, any case)", async () => {
  const fields = { endpoint: 'user/1000', extension: '1001', uuid: 'preset-1', timeout: 10 };
  for (const [name, field] of [
    ['origination_uuid', 'uuid'],
    ['ORIGINATE_TIMEOUT', 'timeout'],
    ['Origination_Caller_Id_Name', 'caller_id_name'],
    ['origination_caller_id_number', 'caller_id_number'],
  ] as const) {
    const r = buildOriginate({ ...fields, variables: { [name]: 'x' } });
    assert.deepEqual(r, { error: `variable ${name} is set by the agent: use the ${field} field` });
  }
  // Refused with the validation envelope before anything reaches FreeSWITCH, naming the requested uuid.
  const ctx = { bgapi: () => assert.fail('sent to FreeSWITCH') } as unknown as CommandContext;
  const out = await originateCommand.run({ command: 'originate', fields: { ...fields, variables: { origination_uuid: 'other' } } }, ctx);
  assert.deepEqual(out, { ok: false, code: BusErrorCode.INVALID_ARGUMENT, message: 'variable origination_uuid is set by the agent: use the uuid field', data: { uuid: 'preset-1' } });
  assert.ok('line' in buildOriginate({ ...fields, variables: { origination_privacy: 'hide_name', effective_caller_id_name: 'x' } }));
});

void test('variable escaping follows FreeSWITCH {a=b,c=d} rules', () => {
  assert.equal(escapeVarValue('plain'), 'plain');
  assert.equal(escapeVarValue('a,b'), 'a\\,b');
  assert.equal(escapeVarValue('a b'), "'a b'");
  assert.equal(escapeVarValue('a b,c'), "'a b\\,c'");
  const r = buildOriginate({ endpoint: 'user/1000', destination: '&playback(/tmp/a b.wav)', variables: { v: 'x,y=z' } });
  assert.ok('line' in r);
  assert.match(r.line, /,v=x\\,y=z\}user\/1000 '&playback\(\/tmp\/a b\.wav\)' XML default$/);
});

void test('originate outcome mapping', () => {
  const base = { uuid: 'u', job_uuid: 'j' };
  assert.deepEqual(originateOutcome({ ...base, result: '+OK u' }), { ok: true, message: 'Call originated successfully', data: { ...base, result: '+OK u' } });
  // The preset uuid was taken: FreeSWITCH placed the call under its own.
  assert.deepEqual(originateOutcome({ ...base, result: '+OK v' }), {
    ok: true,
    message: 'Call originated successfully, as v: the uuid asked for was in use',
    data: { uuid: 'v', requested_uuid: 'u', job_uuid: 'j', result: '+OK v' },
  });
  const busy = originateOutcome({ ...base, result: '-ERR USER_BUSY' });
  assert.ok(!busy.ok);
  assert.equal(busy.code, BusErrorCode.ORIGINATE_FAILED);
  assert.deepEqual(busy.data, { ...base, result: '-ERR USER_BUSY', cause: 'USER_BUSY' });
  const other = originateOutcome({ ...base, result: '-USAGE: <call url> <exten>' });
  assert.ok(!other.ok);
  assert.equal(other.code, BusErrorCode.COMMAND_FAILED);
});

void test("the agent's wait: a request's timeout_ms up to 300 s, but an originate ringing longer gets its ring time + 5 s", () => {
  assert.equal(commandTimeoutMs(undefined, undefined, 30_000), 30_000);
  assert.equal(commandTimeoutMs(1234, undefined, 30_000), 1234);
  assert.equal(commandTimeoutMs(10 ** 9, undefined, 30_000), MAX_COMMAND_TIMEOUT_MS);
  const ring600 = originateWaitMs({ timeout: 600 }, 30_000);
  assert.equal(ring600, 605_000);
  // The SDK sends timeout_ms = ring + 5 s; the agent used to cut it at 300 s, mid-ring.
  assert.equal(commandTimeoutMs(605_000, ring600, 30_000), 605_000);
  assert.equal(commandTimeoutMs(undefined, ring600, 30_000), 605_000);
  assert.equal(commandTimeoutMs(10 ** 9, ring600, 30_000), 605_000);
  assert.equal(commandTimeoutMs(10_000, ring600, 30_000), 10_000, "the requester's own shorter wait stands");
});

void test('variables that make FreeSWITCH ring longer are checked and waited for (leg_timeout, originate_retries, retry sleeps)', async () => {
  const fields = { endpoint: 'user/1000', extension: '&park()', timeout: 10 };
  const err = (variables: Record<string, unknown>) => {
    const r = buildOriginate({ ...fields, variables });
    return 'error' in r ? r.error : 'no error';
  };
  assert.equal(err({ leg_timeout: 0 }), 'variable leg_timeout must be an integer number of seconds (1-3600)');
  assert.equal(err({ originate_retries: 'many' }), 'variable originate_retries must be an integer number of attempts (1-100)');
  assert.equal(err({ originate_retry_sleep_ms: 100 }), 'variable originate_retry_sleep_ms must be an integer number of milliseconds (500-60000)');
  assert.equal(err({ leg_timeout: 3600, originate_retries: 2 }), 'the originate could ring for up to 7201 s (2 attempts × 3600 s, plus 1 s between attempts): at most 3600 s');
  const ok = buildOriginate({ ...fields, uuid: 'u-1', variables: { leg_timeout: 30, originate_retries: 3, originate_retry_sleep_ms: 2000 } });
  assert.ok('line' in ok, JSON.stringify(ok));
  assert.match(ok.line, /,leg_timeout=30,originate_retries=3,originate_retry_sleep_ms=2000\}user\/1000 /);
  // The agent's own wait: 3 attempts × 30 s + 2 × 2 s of sleep + 5 s.
  const request = { command: 'originate', fields: { ...fields, variables: { leg_timeout: 30, originate_retries: 3, originate_retry_sleep_ms: 2000 } } };
  assert.equal(originateCommand.waitMs?.(request, 1000), 99_000);
  // Refused with the validation envelope before anything reaches FreeSWITCH.
  const ctx = { bgapi: () => assert.fail('sent to FreeSWITCH') } as unknown as CommandContext;
  const out = await originateCommand.run({ command: 'originate', fields: { ...fields, variables: { originate_retries: 101 } } }, ctx);
  assert.deepEqual(out, { ok: false, code: BusErrorCode.INVALID_ARGUMENT, message: 'variable originate_retries must be an integer number of attempts (1-100)' });
});
