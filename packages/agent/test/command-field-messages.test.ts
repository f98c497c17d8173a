// A command field's refusal says what is wrong with it, the same way in every command: missing
// (absent or null) → `'<field>' field required`, or mod_event_agent's length rule where its clients
// match on it (originate's endpoint/extension, hangup's uuid); not a string → `<field> must be a
// string`; a string of the wrong length → the length rule. null counts as absent, as for the
// envelope's fields.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { buildOriginate, parseExecuteApp } from '@fsbus/agent';

const originateError = (fields: Record<string, unknown>): string => {
  const r = buildOriginate(fields);
  return 'error' in r ? r.error : 'no error';
};

void test('originate: required, wrong type and length are told apart', () => {
  const call = { endpoint: 'user/1000', extension: '1000' };
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ extension: '1000' }, 'endpoint must be between 1 and 255 characters'],
    [{ endpoint: null, extension: '1000' }, 'endpoint must be between 1 and 255 characters'],
    [{ endpoint: 123, extension: '1000' }, 'endpoint must be a string'],
    [{ endpoint: ['user/1000'], extension: '1000' }, 'endpoint must be a string'],
    [{ endpoint: '', extension: '1000' }, 'endpoint must be between 1 and 255 characters'],
    [{ endpoint: 'x'.repeat(256), extension: '1000' }, 'endpoint must be between 1 and 255 characters'],
    [{ endpoint: 'user/1000' }, 'extension must be between 1 and 255 characters'],
    [{ endpoint: 'user/1000', extension: null, destination: null }, 'extension must be between 1 and 255 characters'],
    [{ endpoint: 'user/1000', extension: 42 }, 'extension must be a string'],
    [{ endpoint: 'user/1000', destination: 42 }, 'destination must be a string'],
    [{ endpoint: 'user/1000', destination: '' }, 'destination must be between 1 and 255 characters'],
    [{ endpoint: 'user/1000', extension: '' }, 'extension must be between 1 and 255 characters'],
    // Optional fields of another type were read as absent (dialplan 42 became XML): refused instead.
    [{ ...call, dialplan: 42 }, 'dialplan must be a string'],
    [{ ...call, context: 42 }, 'context must be a string'],
    [{ ...call, context: 'c'.repeat(128) }, 'context must be 127 characters or fewer'],
    [{ ...call, uuid: 42 }, 'uuid must be a string'],
    [{ ...call, uuid: 'a' }, 'uuid must be between 2 and 63 characters'],
    [{ ...call, caller_id_name: 42 }, 'caller_id_name must be a string'],
    [{ ...call, caller_id_number: false }, 'caller_id_number must be a string'],
  ];
  for (const [fields, message] of cases) assert.equal(originateError(fields), message, JSON.stringify(fields));
  // null is absent for the optional fields too: their defaults.
  const r = buildOriginate({ ...call, dialplan: null, context: null, uuid: null, caller_id_name: null, caller_id_number: null, timeout: null, variables: null });
  assert.ok('line' in r, JSON.stringify(r));
  assert.match(r.line, /^originate \{origination_uuid=[0-9a-f-]{36},fsbus_originated=[0-9a-f-]{36}\}user\/1000 1000 XML default$/);
});

void test('execute_app: required, wrong type and bad value are told apart', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ app: 'playback' }, "execute_app: 'uuid' field required"],
    [{ uuid: null, app: 'playback' }, "execute_app: 'uuid' field required"],
    // mod_event_agent's reading: an empty uuid or app is no uuid or app.
    [{ uuid: '', app: 'playback' }, "execute_app: 'uuid' field required"],
    [{ uuid: 7, app: 'playback' }, 'execute_app: uuid must be a string'],
    [{ uuid: 'abc' }, "execute_app: 'app' field required"],
    [{ uuid: 'abc', app: null }, "execute_app: 'app' field required"],
    [{ uuid: 'abc', app: true }, 'execute_app: app must be a string'],
    [{ uuid: 'abc', app: 'x', args: 5 }, 'execute_app: args must be a string'],
  ];
  for (const [fields, message] of cases) assert.equal(parseExecuteApp(fields), message, JSON.stringify(fields));
  assert.deepEqual(parseExecuteApp({ uuid: 'abc', app: 'x', args: null, vars: null }), { uuid: 'abc', app: 'x', args: undefined, vars: [], eventLock: false });
});
