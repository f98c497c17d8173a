/** Temp dirs that go with the process: removed on exit or a terminating signal unless removed before. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTermination } from './process.js';

const live = new Set<string>();
let hooked = false;

export interface TempDir {
  readonly dir: string;
  remove(): void;
}

export function processTempDir(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.add(dir);
  if (!hooked) {
    hooked = true;
    onTermination(() => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  return {
    dir,
    remove: () => {
      live.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
