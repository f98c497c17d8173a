// Keeps docs/errors.md and the error codes exported by every package in step (fastify's
// FST_ERR_* discipline): each code is unique, documented, and every documented code exists.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

async function exportedCodes(): Promise<Map<string, string>> {
  const codes = new Map<string, string>(); // code -> where it is exported
  const seen = new Set<unknown>(); // a deprecated alias (SimWireErrorCode) is the same object: counted once
  for (const dir of await readdir(join(root, 'packages'))) {
    const pkgJson = join(root, 'packages', dir, 'package.json');
    if (!existsSync(pkgJson)) continue;
    const { name, private: isPrivate } = JSON.parse(await readFile(pkgJson, 'utf8')) as { name: string; private?: boolean };
    if (isPrivate || !existsSync(join(root, 'packages', dir, 'src', 'index.ts'))) continue;
    const mod = (await import(name)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) {
      if (!exportName.endsWith('ErrorCode') || value === null || typeof value !== 'object' || seen.has(value)) continue;
      seen.add(value);
      for (const code of Object.values(value as Record<string, unknown>)) {
        if (typeof code !== 'string') continue;
        const where = `${name}.${exportName}`;
        const prior = codes.get(code);
        assert.ok(prior === undefined || prior === where, `${code} is exported by both ${prior} and ${where}`);
        codes.set(code, where);
      }
    }
  }
  return codes;
}

test('every exported error code is documented in docs/errors.md, and every documented code exists', async () => {
  const codes = await exportedCodes();
  assert.ok(codes.size > 0, 'no error codes found: the discovery is broken');
  const doc = await readFile(join(root, 'docs', 'errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\|\s*`(FSBUS_ERR_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!);
  assert.equal(new Set(rows).size, rows.length, 'a code is listed twice in docs/errors.md');
  const documented = new Set(rows);
  const undocumented = [...codes.keys()].filter((c) => !documented.has(c));
  const stale = rows.filter((c) => !codes.has(c));
  assert.deepEqual(undocumented, [], 'codes missing from docs/errors.md');
  assert.deepEqual(stale, [], 'docs/errors.md lists codes no package exports');
});

test('every code follows FSBUS_ERR_<AREA>_<NAME>', async () => {
  for (const code of (await exportedCodes()).keys()) assert.match(code, /^FSBUS_ERR_[A-Z0-9]+(_[A-Z0-9]+)+$/);
});
