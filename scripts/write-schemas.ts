// Writes the contract's JSON Schemas to packages/contract/schemas/*.json, where a client in any
// language loads them (packages/contract/test/schemas.test.ts fails when they are out of date).
// Usage: node --conditions=source --import tsx scripts/write-schemas.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFiles, schemaFileText } from '@fsbus/contract';

const dir = fileURLToPath(new URL('../packages/contract/schemas/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(schemaFiles)) {
  writeFileSync(join(dir, name), schemaFileText(schema));
  console.log(`wrote packages/contract/schemas/${name}`);
}
