/**
 * The single-page app's files: a production build in a static directory
 * (`npm run build:app -w @fsbus/web` writes static/), or built in memory with esbuild at start.
 */
import { existsSync } from 'node:fs';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebError, WebErrorCode } from './errors.js';

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The app's sources (app/) and the default build directory (static/), beside src/ and dist/. */
export const APP_DIR = fileURLToPath(new URL('../app/', import.meta.url));
export const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));

const FILES: ReadonlyArray<readonly [string, string]> = [
  ['index.html', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['style.css', 'text/css; charset=utf-8'],
];

/** Builds the app into memory: `index.html`, `app.js` (bundled, minified), `style.css`. */
export async function buildApp(): Promise<Map<string, Buffer>> {
  try {
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [join(APP_DIR, 'main.ts')],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
      outfile: 'app.js',
    });
    const js = out.outputFiles[0];
    if (js === undefined) throw new Error('esbuild produced no output');
    return new Map([
      ['index.html', await readFile(join(APP_DIR, 'index.html'))],
      ['app.js', Buffer.from(js.contents)],
      ['style.css', await readFile(join(APP_DIR, 'style.css'))],
    ]);
  } catch (err) {
    throw new WebError(WebErrorCode.ASSETS, `could not build the dashboard app: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes the production build (what `staticDir` serves). */
export async function writeApp(dir: string = STATIC_DIR): Promise<string[]> {
  const files = await buildApp();
  await mkdir(dir, { recursive: true });
  for (const [name, body] of files) await writeFile(join(dir, name), body);
  return [...files.keys()].map((f) => join(dir, f));
}

/** The files to serve: the production build in `staticDir` when given, else a fresh in-memory build. */
export async function loadAssets(staticDir?: string): Promise<Map<string, Asset>> {
  let files: Map<string, Buffer>;
  if (staticDir === undefined) files = await buildApp();
  else {
    files = new Map();
    for (const [name] of FILES) {
      try {
        files.set(name, await readFile(join(staticDir, name)));
      } catch (err) {
        throw new WebError(WebErrorCode.ASSETS, `dashboard file missing: ${join(staticDir, name)} (run npm run build:app -w @fsbus/web)`, { cause: err });
      }
    }
  }
  const out = new Map<string, Asset>();
  for (const [name, type] of FILES) {
    const body = files.get(name);
    if (body !== undefined) out.set(`/${name}`, { type, body });
  }
  return out;
}

/** The default build directory when it holds a build, else undefined (build in memory). */
export function defaultStaticDir(): string | undefined {
  return existsSync(join(STATIC_DIR, 'index.html')) ? STATIC_DIR : undefined;
}
