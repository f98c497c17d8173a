// Installed packages must hand TypeScript consumers the emitted declarations, not our sources:
// a consumer's compiler checks .ts files under its own settings (skipLibCheck spares only .d.ts),
// so a `types` pointing at src/ breaks builds with an older lib or stricter flags. Inside the repo
// the "source" condition (tsconfig customConditions, node --conditions=source) still picks src/.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

type Conditions = Record<string, unknown>;

function packageJsons(): { dir: string; pkg: { name: string; exports?: unknown; types?: unknown; typings?: unknown } }[] {
  return readdirSync(join(root, 'packages'))
    .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as { name: string } }));
}

/** Each subpath ("." and any other) with its condition object. */
function subpaths(exportsField: unknown): [string, Conditions][] {
  assert.ok(exportsField !== null && typeof exportsField === 'object', 'exports must be an object of subpaths');
  return Object.entries(exportsField as Record<string, unknown>).map(([subpath, target]) => {
    assert.ok(target !== null && typeof target === 'object', `${subpath} must map conditions, not a bare path`);
    return [subpath, target as Conditions];
  });
}

test('every package exports source, then types, then default (first matching condition wins)', () => {
  const found = packageJsons();
  assert.ok(found.length > 0, 'no packages found: the discovery is broken');
  for (const { pkg } of found) {
    for (const [subpath, conditions] of subpaths(pkg.exports)) {
      assert.deepEqual(Object.keys(conditions), ['source', 'types', 'default'], `${pkg.name} "${subpath}"`);
    }
  }
});

test('every "types" is the dist .d.ts beside "default", and "source" is an existing src .ts', () => {
  for (const { dir, pkg } of packageJsons()) {
    assert.equal(pkg.types, undefined, `${pkg.name}: a top-level "types" would bypass exports for old resolvers`);
    assert.equal(pkg.typings, undefined, `${pkg.name}: a top-level "typings" would bypass exports for old resolvers`);
    for (const [subpath, { source, types, default: runtime }] of subpaths(pkg.exports)) {
      const where = `${pkg.name} "${subpath}"`;
      assert.match(String(runtime), /^\.\/dist\/.+\.js$/, `${where} default`);
      assert.equal(types, String(runtime).replace(/\.js$/, '.d.ts'), `${where} types`);
      // tsconfig.build.json maps src/ to dist/ one to one (rootDir src, outDir dist).
      assert.equal(source, String(runtime).replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts'), `${where} source`);
      assert.ok(existsSync(join(root, 'packages', dir, String(source))), `${where}: ${String(source)} does not exist`);
    }
  }
});

test('the repo compiler resolves the "source" condition', () => {
  const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { customConditions?: string[] } };
  assert.deepEqual(base.compilerOptions.customConditions, ['source']);
});
