// The built-in commands' schemas as files: every one compiles under draft 2020-12 (ajv, strict),
// extends the envelope by its $id, names its command as a const, and nothing stale lies beside
// them (a file schemas.ts no longer writes). Their agreement with the agent's validation is
// packages/agent/test/command-schemas-agree.test.ts.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { schemaFiles } from '@fsbus/contract';
import { commandDataSchemas, commandRequestSchemas } from '../src/schemas.js';

const dir = new URL('../schemas/', import.meta.url);
const read = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Record<string, unknown>;

void test('every checked-in schema file is one schemas.ts writes (scripts/write-schemas.ts --check says the same)', () => {
  const onDisk = [...readdirSync(fileURLToPath(dir)).filter((n) => n.endsWith('.json')), ...readdirSync(fileURLToPath(new URL('commands/', dir))).map((n) => `commands/${n}`)];
  assert.deepEqual(onDisk.sort(), Object.keys(schemaFiles).sort());
});

void test('the command schemas compile in strict draft 2020-12 and extend the envelope', () => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  ajv.addSchema(read('request.json'));
  for (const [command, schema] of Object.entries(commandRequestSchemas)) {
    const file = read(`commands/${command}.json`);
    assert.equal(file['$id'], `https://fsbus.dev/schemas/commands/${command}.json`);
    assert.deepEqual(file['allOf'], [{ $ref: '../request.json' }]);
    assert.deepEqual(schema.properties.command.const, command);
    ajv.addSchema(file);
    assert.equal(ajv.validate(schema.$id, { command }), !['hangup', 'originate', 'execute_app', 'dialplan.audio', 'dialplan.autoanswer', 'dialplan.timeout'].includes(command), command);
    // The envelope still applies: a refused envelope field is refused here too.
    assert.equal(ajv.validate(schema.$id, { command, timeout_ms: -1 }), false);
  }
  for (const command of Object.keys(commandDataSchemas)) ajv.compile(read(`commands/${command}.data.json`));
});
