import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BusErrorCode, errorReply, MAX_NODE_ID_LENGTH, parseRequest, replySchema, requestSchema, schemaFiles, schemaFileText, successReply } from '@fsbus/contract';

const dir = new URL('../schemas/', import.meta.url);
const enc = (s: string) => new TextEncoder().encode(s);

void test('the checked-in JSON Schemas are the exported ones (regenerate: node --conditions=source --import tsx scripts/write-schemas.ts)', () => {
  for (const [name, schema] of Object.entries(schemaFiles)) {
    const path = fileURLToPath(new URL(name, dir));
    assert.ok(existsSync(path), `packages/contract/schemas/${name} missing: run scripts/write-schemas.ts`);
    assert.equal(readFileSync(path, 'utf8'), schemaFileText(schema), `packages/contract/schemas/${name} is out of date: run scripts/write-schemas.ts`);
  }
});

/** The request schema's regular expressions, as a JSON Schema validator (ECMA-262 dialect) reads them. */
const props = requestSchema.properties;
const matches = (pattern: string, value: string) => new RegExp(pattern, 'u').test(value);

void test('the request schema refuses what the agent refuses for its shape', () => {
  // A blank command: the agent's MISSING_COMMAND.
  for (const blank of ['', '   ', '\t\n']) {
    assert.equal(matches(props.command.pattern, blank), false, JSON.stringify(blank));
    assert.equal(parseRequest(enc(JSON.stringify({ command: blank }))).ok, false);
  }
  assert.equal(matches(props.command.pattern, ' status '), true);
  // node_id: at most 128 characters.
  assert.equal(props.node_id.maxLength, MAX_NODE_ID_LENGTH);
  assert.equal(parseRequest(enc(JSON.stringify({ command: 'status', node_id: 'n'.repeat(MAX_NODE_ID_LENGTH + 1) }))).ok, false);
  // correlation_id: a string, or an integer JavaScript reads exactly.
  assert.deepEqual([props.correlation_id.minimum, props.correlation_id.maximum], [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
  assert.deepEqual(props.correlation_id.type, ['string', 'integer', 'null']);
  // forward_to: the contract's subject rule; '' counts as absent.
  for (const ok of ['', 'obs.x', 'a-b.c_d.e:f$g', `a.${'x'.repeat(253)}`]) assert.equal(matches(props.forward_to.pattern, ok) && ok.length <= props.forward_to.maxLength, true, ok);
  for (const bad of ['a b', 'a.>', 'a.*', 'a..b', '.a', 'a.', '$JS.API.x', 'caf\u00e9']) {
    assert.equal(matches(props.forward_to.pattern, bad), false, bad);
    assert.equal(parseRequest(enc(JSON.stringify({ command: 'status', forward_to: bad }))).ok, true, 'the contract leaves forward_to to the agent');
  }
  // timeout_ms: its cap is said, a larger one is cut by the agent, not refused.
  assert.match(props.timeout_ms.description, /at most 300000/);
});

void test("node_id's length is counted in UTF-16 code units, as the agent counts it, and the schema says so", () => {
  // JSON Schema's maxLength counts code points: 100 emoji are 100 of them, but 200 UTF-16 code
  // units, and the agent refuses them (their slug, `_` per unit, could not name any agent's node).
  const nodeId: { maxLength: number; description?: string } = props.node_id;
  const emoji = '\u{1F600}'.repeat(100);
  assert.equal([...emoji].length <= nodeId.maxLength, true);
  const refused = parseRequest(enc(JSON.stringify({ command: 'status', node_id: emoji })));
  assert.equal(refused.ok ? '' : refused.message, `node_id must be at most ${MAX_NODE_ID_LENGTH} characters`);
  assert.match(nodeId.description ?? '', /UTF-16 code units/);
  // Within the bound in UTF-16 units: taken.
  assert.equal(parseRequest(enc(JSON.stringify({ command: 'status', node_id: '\u{1F600}'.repeat(MAX_NODE_ID_LENGTH / 2) }))).ok, true);
});

void test('the request schema says a body on the async lane may be empty or leave command out', () => {
  const schema: { description?: string; required: readonly string[] } = requestSchema;
  assert.deepEqual(schema.required, ['command']);
  assert.match(schema.description ?? '', /<prefix>\.cmd\.async\.<command>/);
  assert.match(schema.description ?? '', /empty/);
  // What the description says is what the agent takes on that lane.
  assert.equal(parseRequest(new Uint8Array(0), { command: 'status' }).ok, true);
  assert.equal(parseRequest(enc('{"args":"x"}'), { command: 'status' }).ok, true);
});

/** A JSON value's JSON Schema type name. */
const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);

void test("the reply schema says data is FreeSWITCH's raw text (the generic API, a failure) or the command's object", () => {
  const data: { type?: readonly string[]; description?: string } = replySchema.properties.data;
  assert.deepEqual(data.type, ['string', 'object']);
  assert.match(data.description ?? '', /raw/);
  const failed = errorReply({ nodeId: 'n', message: 'Channel hangup failed', code: BusErrorCode.COMMAND_FAILED, data: '-ERR No such channel!\n' });
  const succeeded = successReply({ nodeId: 'n', message: 'Channel hangup successful', data: { uuid: 'u-1', cause: 'NORMAL_CLEARING' } });
  const generic = successReply({ nodeId: 'n', message: 'API command executed', data: 'UP 0 years' });
  for (const reply of [failed, succeeded, generic]) {
    const wire = JSON.parse(JSON.stringify(reply)) as Record<string, unknown>;
    assert.ok(data.type?.includes(jsonType(wire['data'])), JSON.stringify(wire));
  }
});
