/**
 * Temp dirs that go with the process: removed on exit, on a terminating signal, and by the janitor
 * when the process is SIGKILLed (see janitor.ts), unless removed before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownDir, releaseDir } from './janitor.js';

export interface TempDir {
  readonly dir: string;
  remove(): void;
}

export function processTempDir(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  ownDir(dir);
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      releaseDir(dir);
    },
  };
}
