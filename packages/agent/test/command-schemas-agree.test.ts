// The built-in commands' JSON Schemas (packages/contract/schemas/commands/<command>.json, as a
// client in another language loads them) say what the agent takes and refuses: a table of
// requests per command runs through the checked-in schema (ajv, draft 2020-12) and through a
// real agent on a real broker (nats-server, the simulated FreeSWITCH), and both must agree —
// refused by the agent meaning FSBUS_ERR_BUS_INVALID_ARGUMENT. What a schema cannot say is
// listed apart: there the two differ, and the schema's description must say so.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { BusErrorCode, type ReplyEnvelope } from '@fsbus/contract';
import { BUILTIN_COMMAND_NAMES } from '../src/commands/registry.js';
import { startRig, type Rig } from './call-control-harness.js';

const schemaDir = new URL('../../contract/schemas/', import.meta.url);
const load = (name: string): Record<string, unknown> | undefined => {
  const path = fileURLToPath(new URL(name, schemaDir));
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
};

/** What a Go struct without `omitempty` sends for the envelope fields left unset. */
const goEnvelope = { args: '', node_id: '', async: false, forward_to: '', correlation_id: '', timeout_ms: 0, bg: false };

type Fields = Record<string, unknown>;
/** Requests (without `command`) the agent takes, and those it refuses for a field. */
interface Table {
  accepted: Fields[];
  refused: Fields[];
}

const call = { endpoint: 'user/1000', extension: '&park()' };
const emoji = '\u{1F600}';

const tables: Record<string, Table> = {
  'agent.status': { accepted: [{}, goEnvelope, { mode: 42, anything: 'ignored' }], refused: [] },
  'agent.cordon': { accepted: [{}, { node_id: 'cc-1' }, goEnvelope], refused: [] },
  'agent.uncordon': { accepted: [{}, { node_id: 'cc-1' }, { ...goEnvelope, node_id: null }], refused: [] },
  'dialplan.enable': { accepted: [{}, { mode: 'nonsense' }, goEnvelope], refused: [] },
  'dialplan.disable': { accepted: [{}, { enabled: 'x' }, goEnvelope], refused: [] },
  'dialplan.status': { accepted: [{}, goEnvelope], refused: [] },
  'dialplan.audio': {
    accepted: [{ mode: 'silence' }, { mode: 'ringback', music_class: null }, { mode: 'music', music_class: '' }, { mode: 'music', music_class: 'moh/8000' }, { mode: 'music', music_class: 'a'.repeat(63) }, { ...goEnvelope, mode: 'silence' }],
    refused: [{}, { mode: null }, { mode: '' }, { mode: 'Music' }, { mode: 1 }, { mode: 'music', music_class: 7 }, { mode: 'music', music_class: 'a'.repeat(64) }, { mode: 'music', music_class: 'a b' }, { mode: 'music', music_class: 'moh;x' }],
  },
  'dialplan.autoanswer': {
    accepted: [{ enabled: true }, { enabled: false }, { ...goEnvelope, enabled: false }],
    refused: [{}, { enabled: null }, { enabled: 'true' }, { enabled: 1 }, { enabled: 0 }],
  },
  'dialplan.timeout': {
    accepted: [{ seconds: 0 }, { seconds: 86400 }, { seconds: 30, cause: 'user_busy' }, { seconds: 30, cause: 17 }, { seconds: 30, cause: '17' }, { seconds: 30, cause: ' 0802 ' }, { seconds: 30, cause: '' }, { seconds: 30, cause: 0 }, { seconds: 30, cause: null }, { seconds: 30.0 }, { ...goEnvelope, seconds: 10, cause: '' }],
    refused: [{}, { seconds: null }, { seconds: -1 }, { seconds: 86401 }, { seconds: 1.5 }, { seconds: '30' }, { seconds: 30, cause: 'NONE' }, { seconds: 30, cause: '0' }, { seconds: 30, cause: 'NOT_A_CAUSE' }, { seconds: 30, cause: 3 + 1 }, { seconds: 30, cause: '00016' }, { seconds: 30, cause: true }, { seconds: 30, cause: ' ' }],
  },
  hangup: {
    accepted: [{ uuid: 'no-such-call' }, { uuid: 'crm_call.1:x' }, { uuid: 'ab', cause: 'call_rejected' }, { uuid: 'ab', cause: 21 }, { uuid: 'ab', cause: '\tUSER_BUSY\n' }, { uuid: 'ab', cause: '' }, { uuid: 'ab', cause: 0 }, { uuid: 'ab', cause: null }, { uuid: 'u'.repeat(63) }, { ...goEnvelope, uuid: 'ab', cause: '' }],
    refused: [{}, { uuid: null }, { uuid: '' }, { uuid: 'a' }, { uuid: 'u'.repeat(64) }, { uuid: 7 }, { uuid: 'a b' }, { uuid: 'a/b' }, { uuid: 'ab', cause: 'NONE' }, { uuid: 'ab', cause: 'none' }, { uuid: 'ab', cause: '0' }, { uuid: 'ab', cause: -16 }, { uuid: 'ab', cause: 16.5 }, { uuid: 'ab', cause: 'BOGUS' }, { uuid: 'ab', cause: ' '.repeat(60) + 'BUSY_EVERYWHERE' }, { uuid: 'ab', cause: [] }],
  },
  execute_app: {
    accepted: [
      { uuid: 'no-such-call', app: 'playback' },
      { uuid: 'ab', app: 'log', args: 'INFO hi', vars: { a: 'x', 'b.c-d_e': 1, f: false }, event_lock: true },
      { uuid: 'ab', app: 'log', args: ' leading space' },
      { uuid: 'ab', app: 'log', args: 'two\nlines' },
      { uuid: 'ab', app: 'log', args: '', vars: null, event_lock: null },
      { uuid: 'ab', app: 'log', event_lock: false, vars: {} },
      { uuid: 'ab', app: 'a'.repeat(64), vars: { v: 'ends with a tab\t' } },
      { ...goEnvelope, uuid: 'ab', app: 'log' },
    ],
    refused: [
      {},
      { app: 'log' },
      { uuid: '', app: 'log' },
      { uuid: null, app: 'log' },
      { uuid: 7, app: 'log' },
      { uuid: 'a', app: 'log' },
      { uuid: 'a b', app: 'log' },
      { uuid: 'ab' },
      { uuid: 'ab', app: '' },
      { uuid: 'ab', app: null },
      { uuid: 'ab', app: 'a'.repeat(65) },
      { uuid: 'ab', app: 'play back' },
      { uuid: 'ab', app: 'log', args: 5 },
      { uuid: 'ab', app: 'log', args: true },
      { uuid: 'ab', app: 'log', event_lock: 'yes' },
      { uuid: 'ab', app: 'log', vars: [] },
      { uuid: 'ab', app: 'log', vars: 'a=b' },
      { uuid: 'ab', app: 'log', vars: { 'a b': 'x' } },
      { uuid: 'ab', app: 'log', vars: { ['v'.repeat(65)]: 'x' } },
      { uuid: 'ab', app: 'log', vars: { a: '' } },
      { uuid: 'ab', app: 'log', vars: { a: null } },
      { uuid: 'ab', app: 'log', vars: { a: { b: 1 } } },
      { uuid: 'ab', app: 'log', vars: { a: 'x\ny' } },
      { uuid: 'ab', app: 'log', vars: { a: 'x\u0000y' } },
      { uuid: 'ab', app: 'log', vars: { a: 'x\u000b' } },
    ],
  },
  originate: {
    accepted: [
      call,
      { ...goEnvelope, ...call, destination: '', dialplan: '', context: '', caller_id_name: '', caller_id_number: '', timeout: 0, variables: null, uuid: '' },
      { endpoint: 'user/1000', destination: '&park()' },
      { endpoint: 'user/1000', extension: '', destination: '&park()' },
      { endpoint: 'user/1000', extension: null, destination: '&park()' },
      { endpoint: 'user/1000', extension: '&playback(/tmp/a b.wav)' },
      { endpoint: 'user/1000', extension: '&echo' },
      { ...call, dialplan: 'XML', context: 'my.ctx-1_a', timeout: 30, uuid: 'crm_call.1' },
      { ...call, caller_id_name: 'Alice Smith, Ltd', caller_id_number: '+15551234' },
      { ...call, timeout: 3600 },
      { ...call, timeout: 30.0 },
      { ...call, variables: { a: 'x', 'b.c-d': 12, e: true, leg_timeout: 20, ORIGINATE_RETRIES: '2', originate_retry_sleep_ms: 500 } },
      { ...call, variables: {} },
      { ...call, uuid: 'u'.repeat(63) },
      { ...call, dialplan: 'd'.repeat(63), context: 'c'.repeat(127) },
    ],
    refused: [
      {},
      { extension: '1000' },
      { ...call, endpoint: null },
      { ...call, endpoint: '' },
      { ...call, endpoint: 123 },
      { ...call, endpoint: 'x'.repeat(256) },
      { ...call, endpoint: 'user/1000 x' },
      { ...call, endpoint: 'user/[1000]' },
      { ...call, endpoint: "{a='b'}user/1000" },
      { ...call, endpoint: 'user/${x}' },
      { endpoint: 'user/1000' },
      { endpoint: 'user/1000', extension: '' },
      { endpoint: 'user/1000', extension: null, destination: null },
      { endpoint: 'user/1000', extension: '', destination: '' },
      { endpoint: 'user/1000', extension: 42 },
      { endpoint: 'user/1000', extension: 42, destination: '&park()' },
      { endpoint: 'user/1000', destination: 42 },
      { endpoint: 'user/1000', extension: 'a b' },
      { endpoint: 'user/1000', extension: '&' },
      { endpoint: 'user/1000', extension: '&park(x' },
      { endpoint: 'user/1000', extension: "&playback('a')" },
      { endpoint: 'user/1000', extension: '&log(a\nb)' },
      { endpoint: 'user/1000', extension: '&log(${x})' },
      { endpoint: 'user/1000', extension: '1000${x}' },
      { endpoint: 'user/1000', extension: 'e'.repeat(256) },
      { ...call, dialplan: 42 },
      { ...call, dialplan: 'X-ML' },
      { ...call, dialplan: 'd'.repeat(64) },
      { ...call, context: 'c'.repeat(128) },
      { ...call, context: 'a b' },
      { ...call, context: 0 },
      { ...call, uuid: 'a' },
      { ...call, uuid: 'u'.repeat(64) },
      { ...call, uuid: 'a b' },
      { ...call, uuid: 'a:_:b' },
      { ...call, uuid: 7 },
      { ...call, caller_id_name: 42 },
      { ...call, caller_id_name: "O'Brien" },
      { ...call, caller_id_number: 'n'.repeat(256) },
      { ...call, caller_id_number: '1:_:2' },
      { ...call, caller_id_name: 'a${b}' },
      { ...call, caller_id_name: 'tab\there' },
      { ...call, timeout: -1 },
      { ...call, timeout: 3601 },
      { ...call, timeout: 1.5 },
      { ...call, timeout: '30' },
      { ...call, variables: [] },
      { ...call, variables: 'a=b' },
      { ...call, variables: '' },
      { ...call, variables: { 'a b': 'x' } },
      { ...call, variables: { ['v'.repeat(65)]: 'x' } },
      { ...call, variables: { origination_uuid: 'x' } },
      { ...call, variables: { Originate_Timeout: 5 } },
      { ...call, variables: { a: null } },
      { ...call, variables: { a: [1] } },
      { ...call, variables: { a: 'x'.repeat(1025) } },
      { ...call, variables: { a: 'x}y' } },
      { ...call, variables: { a: 'x:_:y' } },
      { ...call, variables: { leg_timeout: 0 } },
      { ...call, variables: { leg_timeout: 3601 } },
      { ...call, variables: { LEG_TIMEOUT: true } },
      { ...call, variables: { originate_retries: 'x' } },
      { ...call, variables: { originate_retry_sleep_ms: 100 } },
      { ...call, variables: { originate_retry_min_period_ms: '12345678901' } },
    ],
  },
};

/** Where a schema cannot follow the agent: the two differ, and the schema says why (matched in its text). */
const beyond: Array<{ command: string; fields: Fields; agent: 'accepts' | 'refuses'; says: RegExp }> = [
  { command: 'originate', fields: { ...call, extension: '&park()', destination: 42 }, agent: 'accepts', says: /destination sent beside a valid extension/ },
  { command: 'originate', fields: { ...call, endpoint: `user/${emoji.repeat(126)}` }, agent: 'refuses', says: /UTF-16 code units/ },
  { command: 'originate', fields: { ...call, timeout: 3600, variables: { originate_retries: 2 } }, agent: 'refuses', says: /ring for more than 3600 s/ },
  { command: 'originate', fields: { ...call, variables: { leg_timeout: '9999' } }, agent: 'refuses', says: /range of such a string is not said/ },
  { command: 'hangup', fields: { uuid: 'ab', cause: 'DE\uFB06INATION_OUT_OF_ORDER' }, agent: 'accepts', says: /ligatures/ },
  { command: 'execute_app', fields: { uuid: 'ab', app: 'log', args: 'a\u0000b' }, agent: 'refuses', says: /NUL byte/ },
  { command: 'execute_app', fields: { uuid: 'ab', app: 'log', args: 'reload mod_event_socket' }, agent: 'refuses', says: /mod_event_socket/ },
  { command: 'agent.cordon', fields: { node_id: 'another-node' }, agent: 'refuses', says: /naming another node is refused/ },
];

void describe('the built-in commands\' JSON Schemas agree with the agent', () => {
  let rig: Rig;
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: false });
  const request = load('request.json');
  if (request !== undefined) ajv.addSchema(request);
  const schemas = new Map<string, Record<string, unknown>>();
  for (const command of BUILTIN_COMMAND_NAMES) {
    const schema = load(`commands/${command}.json`);
    if (schema === undefined) continue;
    schemas.set(command, schema);
    ajv.addSchema(schema);
  }
  const schemaTakes = (command: string, body: Fields): boolean => {
    const schema = schemas.get(command);
    assert.ok(schema !== undefined, `no schema for ${command}: packages/contract/schemas/commands/${command}.json missing`);
    return ajv.validate(schema['$id'] as string, body);
  };
  /** The agent's answer: false when it refused a field (INVALID_ARGUMENT), else true (it ran: success or another failure). */
  const agentTakes = async (body: Fields): Promise<boolean> => {
    const r: ReplyEnvelope = await rig.request({ timeout_ms: 5000, ...body });
    if (r.success) return true;
    assert.notEqual(r.code, BusErrorCode.MISSING_COMMAND, JSON.stringify(r));
    return r.code !== BusErrorCode.INVALID_ARGUMENT;
  };

  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());

  void test('every built-in command has a request schema and a table here', () => {
    assert.deepEqual([...schemas.keys()].sort(), [...BUILTIN_COMMAND_NAMES].sort());
    assert.deepEqual(Object.keys(tables).sort(), [...BUILTIN_COMMAND_NAMES].sort());
  });

  for (const [command, table] of Object.entries(tables)) {
    void test(`${command}: ${table.accepted.length} accepted, ${table.refused.length} refused, by schema and agent alike`, async () => {
      const disagree: string[] = [];
      for (const [expected, cases] of [[true, table.accepted], [false, table.refused]] as const) {
        for (const fields of cases) {
          const body = { command, ...fields };
          const bySchema = schemaTakes(command, body);
          const byAgent = await agentTakes(body);
          if (byAgent !== expected) disagree.push(`agent ${byAgent ? 'accepts' : 'refuses'} (table: ${expected ? 'accepted' : 'refused'}): ${JSON.stringify(fields)}`);
          if (bySchema !== byAgent) disagree.push(`schema ${bySchema ? 'accepts' : 'refuses'}, agent ${byAgent ? 'accepts' : 'refuses'}: ${JSON.stringify(fields)} ${JSON.stringify(ajv.errors)}`);
        }
      }
      assert.deepEqual(disagree, []);
    });
  }

  void test('where a schema cannot follow the agent, its description says so', async () => {
    for (const { command, fields, agent, says } of beyond) {
      const body = { command, ...fields };
      assert.equal(await agentTakes(body), agent === 'accepts', `agent ${agent}: ${JSON.stringify(fields)}`);
      assert.equal(schemaTakes(command, body), agent !== 'accepts', `schema differs: ${JSON.stringify(fields)}`);
      assert.match(JSON.stringify(schemas.get(command)), says, command);
    }
    // The command's name: the agent trims it, a const does not.
    assert.equal(await agentTakes({ command: ' dialplan.status ' }), true);
    assert.equal(schemaTakes('dialplan.status', { command: ' dialplan.status ' }), false);
    assert.match(JSON.stringify(schemas.get('dialplan.status')), /trims/);
  });

  void test('each success reply\'s data matches its data schema', async () => {
    const dataSchema = (command: string): Record<string, unknown> => {
      const schema = load(`commands/${command}.data.json`);
      assert.ok(schema !== undefined, `packages/contract/schemas/commands/${command}.data.json missing`);
      return schema;
    };
    const check = (command: string, r: ReplyEnvelope): void => {
      assert.equal(r.success, true, JSON.stringify(r));
      assert.ok(ajv.validate(dataSchema(command), r.data), `${command}: ${JSON.stringify(r.data)} ${JSON.stringify(ajv.errors)}`);
    };
    const placed = await rig.request({ command: 'originate', ...call, uuid: 'schema-call-1' });
    check('originate', placed);
    check('execute_app', await rig.request({ command: 'execute_app', uuid: 'schema-call-1', app: 'log', args: 'INFO hi' }));
    check('hangup', await rig.request({ command: 'hangup', uuid: 'schema-call-1', cause: 'user_busy' }));
    for (const command of ['agent.status', 'agent.cordon', 'agent.uncordon', 'dialplan.status', 'dialplan.enable', 'dialplan.disable']) check(command, await rig.request({ command }));
    check('dialplan.audio', await rig.request({ command: 'dialplan.audio', mode: 'music', music_class: 'moh' }));
    check('dialplan.autoanswer', await rig.request({ command: 'dialplan.autoanswer', enabled: true }));
    check('dialplan.timeout', await rig.request({ command: 'dialplan.timeout', seconds: 0 }));
  });
});
