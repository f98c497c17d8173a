/**
 * Park settings persisted as a small JSON file, so a restarted agent keeps the mode. Writes go
 * to a temporary file renamed over the old one (never a half-written state) and run one at a
 * time in call order.
 *
 * At start (`open`) the file must be usable: readable when present, and writable the way saves
 * write it. Either failing is a configuration error naming `dialplan.state_file`, instead of a
 * start that goes on and then fails every `dialplan.*` change (a directory the service user
 * cannot write), or ends without naming the setting (a file left by an earlier run as root).
 *
 * Only the file is created, never its directory: a misspelt path would otherwise be made
 * silently, and under /proc node's recursive mkdir never returns (procfs answers ENOENT to a
 * mkdir there, and it retries the parent for ever). A directory on /proc or /sys, or a path that
 * is no regular file (a FIFO, whose read waits for a writer; /proc/kmsg's for the kernel), is
 * refused before anything is read.
 */
import { opendir, readFile, rename, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { DEFAULT_PARK_SETTINGS, parseSettings, type ParkSettings } from './park-settings.js';

const FIELD = 'dialplan.state_file';

/** statfs(2) `f_type` of the kernel's file systems that hold no files of ours (linux/magic.h). */
const KERNEL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
]);

export class ParkStateFile {
  readonly path: string;
  #chain: Promise<void> = Promise.resolve();
  #seq = 0;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * The saved settings (defaults when there is no file yet), once the file is known to be usable:
   * read when present, then written back (or, when absent, a temporary file created and removed
   * in its directory). Throws a ConfigError naming dialplan.state_file, the path and the OS error.
   */
  async open(): Promise<ParkSettings> {
    await this.#checkDirectory();
    const text = await this.#read();
    const settings = text === undefined ? { ...DEFAULT_PARK_SETTINGS } : this.#parse(text);
    try {
      // Absent, it stays absent: a file written now would pin today's defaults.
      if (text === undefined) await this.#probe();
      else await this.save(settings);
    } catch (err) {
      throw new ConfigError(FIELD, `cannot write ${this.path} (${(err as Error).message})`);
    }
    return settings;
  }

  /** The saved settings; defaults when the file does not exist yet. Throws on a malformed file. */
  async load(): Promise<ParkSettings> {
    const text = await this.#read();
    return text === undefined ? { ...DEFAULT_PARK_SETTINGS } : this.#parse(text);
  }

  /** The directory exists, is one, and is on no kernel file system. */
  async #checkDirectory(): Promise<void> {
    const dir = dirname(this.path);
    try {
      await (await opendir(dir)).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ConfigError(FIELD, `the directory ${dir} does not exist (the agent creates the file, not its directory: create it, writable by the agent's user)`);
      }
      throw new ConfigError(FIELD, `cannot write ${this.path} (${(err as Error).message})`);
    }
    const kind = KERNEL_FILE_SYSTEMS.get(Number((await statfs(dir)).type));
    if (kind !== undefined) throw new ConfigError(FIELD, `${dir} is on the kernel's ${kind} file system, no place for a file: choose one on disk (e.g. /var/lib/fsbus/park.json)`);
  }

  /** The file's text; undefined when there is none (nor can be: a path under a regular file). */
  async #read(): Promise<string | undefined> {
    try {
      const info = await stat(this.path);
      // A directory is left to readFile (EISDIR); a FIFO or a device could block the read for ever.
      if (!info.isFile() && !info.isDirectory()) throw new ConfigError(FIELD, `${this.path} is not a regular file`);
      return await readFile(this.path, 'utf8');
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: no such file can exist there; the write check says what is wrong with the path.
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new ConfigError(FIELD, `cannot read ${this.path} (${(err as Error).message})`);
    }
  }

  #parse(text: string): ParkSettings {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ConfigError(FIELD, `${this.path} is not JSON`);
    }
    const parsed = parseSettings(value);
    if (typeof parsed === 'string') throw new ConfigError(FIELD, `${this.path}: ${parsed}`);
    return parsed;
  }

  /** Creates (and removes) a temporary file where save() writes its own. */
  async #probe(): Promise<void> {
    const tmp = this.#tmpPath();
    await writeFile(tmp, '', { mode: 0o600 });
    await unlink(tmp);
  }

  #tmpPath(): string {
    return `${this.path}.${process.pid}.${++this.#seq}.tmp`;
  }

  /** Saves a snapshot; resolves once it is on disk (rejects if it could not be written). */
  save(settings: ParkSettings): Promise<void> {
    const text = `${JSON.stringify(settings, null, 2)}\n`;
    const tmp = this.#tmpPath();
    const run = this.#chain.then(async () => {
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    // A failed write must not block the next one.
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
