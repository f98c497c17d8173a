/**
 * The children run from a one-file build of the CLI (esbuild, which tsx already brings), not
 * through tsx: tsx's loader thread alone adds ~40 MB of RSS, which would be charged to the
 * agent. Workspace packages are bundled from their sources; third-party packages stay external
 * and load from node_modules, so the output lives inside the repository (bench/.build/) unless
 * FSBUS_BENCH_BUILD_DIR puts it elsewhere (then a `node_modules` link to the checkout's goes
 * with it). Split into chunks so each driver (and its broker client) still loads only when used.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { processAlive } from '@fsbus/testkit';
import { REPO_ROOT } from './paths.js';

const BUILD_ROOT = process.env['FSBUS_BENCH_BUILD_DIR'] ? resolve(process.env['FSBUS_BENCH_BUILD_DIR']) : join(REPO_ROOT, 'bench/.build');
/** Outside the checkout, node would not find the third-party packages the bundle imports. */
const OUTSIDE_CHECKOUT = relative(REPO_ROOT, BUILD_ROOT).startsWith('..');
/** One directory per suite process: suites running side by side (CI) must not rebuild each other's. */
const OUT_DIR = join(BUILD_ROOT, `cli-${process.pid}`);
export const CLI_BUNDLE = join(OUT_DIR, 'main.mjs');

/** Removes the builds of suite processes that are gone (killed before they could clean up). */
function removeStale(): void {
  if (!existsSync(BUILD_ROOT)) return;
  for (const name of readdirSync(BUILD_ROOT)) {
    const pid = /^cli-(\d+)$/.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid))) rmSync(join(BUILD_ROOT, name), { recursive: true, force: true });
  }
}

const thirdPartyExternal: Plugin = {
  name: 'third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@fsbus/') || args.path === 'fsbus' ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Drivers are lazy `import()`s; one whose file is not written yet must not break the build,
 * only its own loading (the suites then list it as missing).
 */
const missingLazyImports: Plugin = {
  name: 'missing-lazy-imports',
  setup(b) {
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.pluginData === 'probe') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'probe' });
      return r.errors.length > 0 ? { path: args.path, external: true, warnings: [] } : undefined;
    });
  },
};

let built: Promise<string> | undefined;

/** Builds the bundle once per process; resolves with its path. */
export function buildCli(): Promise<string> {
  built ??= (async () => {
    try {
      removeStale();
      mkdirSync(OUT_DIR, { recursive: true });
    } catch (err) {
      throw new Error(`cannot build the CLI in ${BUILD_ROOT} (FSBUS_BENCH_BUILD_DIR): ${(err as Error).message}`);
    }
    // The children are stopped before the suite exits; their build goes with it (rm removes the link, not its target).
    process.once('exit', () => rmSync(OUT_DIR, { recursive: true, force: true }));
    if (OUTSIDE_CHECKOUT) symlinkSync(join(REPO_ROOT, 'node_modules'), join(OUT_DIR, 'node_modules'), 'dir');
    await build({
      entryPoints: [join(REPO_ROOT, 'packages/cli/src/main.ts')],
      outdir: OUT_DIR,
      outExtension: { '.js': '.mjs' },
      // One chunk per lazily imported driver: its broker client loads only when that driver does.
      splitting: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['source'],
      plugins: [thirdPartyExternal, missingLazyImports],
      sourcemap: 'linked',
      // No keepNames: it wraps every function and closure in a `__name` call at run time (5 % of
      // the agent's CPU per command), which the deployed tsc build does not pay. Error classes
      // name themselves from `new.target.name`; checkBundleNames below proves none was renamed.
      logLevel: 'error',
    });
    checkBundleNames(OUT_DIR);
    return CLI_BUNDLE;
  })();
  return built;
}

/**
 * Without keepNames esbuild renames a class whose name another module also uses (`Foo` →
 * `Foo2`), and an error's `name` would change with it: refuse such a bundle.
 */
function checkBundleNames(dir: string): void {
  const classes = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/\bclass (\w+)[ {]/g)) classes.add(m[1]!);
  }
  const renamed = [...classes].filter((name) => /\D\d+$/.test(name) && classes.has(name.replace(/\d+$/, '')));
  if (renamed.length > 0) throw new Error(`bench build renamed classes (clashing names): ${renamed.join(', ')}`);
}
