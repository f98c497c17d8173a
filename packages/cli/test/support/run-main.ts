/** Runs `main()` in this process with captured output: for argument handling, no child process. */
import { main } from '../../src/main.js';

export async function runMain(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
