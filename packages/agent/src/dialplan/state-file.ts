/**
 * Park settings persisted as a small JSON file, so a restarted agent keeps the mode. Writes go
 * to a temporary file renamed over the old one (never a half-written state) and run one at a
 * time in call order.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_PARK_SETTINGS, parseSettings, type ParkSettings } from './park-settings.js';

export class ParkStateFile {
  readonly path: string;
  #chain: Promise<void> = Promise.resolve();
  #seq = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** The saved settings; defaults when the file does not exist yet. Throws on a malformed file. */
  async load(): Promise<ParkSettings> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_PARK_SETTINGS };
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`park state file ${this.path} is not JSON`);
    }
    const parsed = parseSettings(value);
    if (typeof parsed === 'string') throw new Error(`park state file ${this.path}: ${parsed}`);
    return parsed;
  }

  /** Saves a snapshot; resolves once it is on disk (rejects if it could not be written). */
  save(settings: ParkSettings): Promise<void> {
    const text = `${JSON.stringify(settings, null, 2)}\n`;
    const tmp = `${this.path}.${process.pid}.${++this.#seq}.tmp`;
    const run = this.#chain.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    // A failed write must not block the next one.
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
