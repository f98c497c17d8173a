/**
 * `--expect` of the gathering commands (`status --all`, `api --all`): a count of nodes, or a
 * comma-separated list of node ids; and what is said when the gather did not get them.
 */
import { terminalLine } from '@fsbus/contract';
import type { GatherOptions } from '@fsbus/client';
import type { CliIo } from '../command.js';
import { UsageError } from './global-options.js';

/** @default 1500 ms of gathering for the commands that ask every node (--all, hangup's search) unless --timeout is given */
export const GATHER_DEFAULT_MS = 1500;

export const EXPECT_HELP = `  --expect <n|ids>  with --all: stop as soon as n nodes replied, or every node of a
                    comma-separated list (fs-a,fs-b); fewer: they are named on stderr
                    (or counted), exit 4`;

/** The `--expect` flag of a command with `--all`: only with --all (a single reply has nothing to wait for), and well-formed. */
export function checkExpect(values: Readonly<Record<string, unknown>>): void {
  if (values['expect'] !== undefined && values['all'] !== true) throw new UsageError('--expect goes with --all');
  parseExpect(typeof values['expect'] === 'string' ? values['expect'] : undefined);
}

/** The flag's value as gather()'s `expect`; undefined when not given. */
export function parseExpect(text: string | undefined): GatherOptions['expect'] {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) {
    if (!/^[1-9]\d*$/.test(text)) throw new UsageError('--expect must be a positive integer or a comma-separated list of node ids');
    return Number(text);
  }
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((id) => id === '')) throw new UsageError(`--expect: an empty node id in ${JSON.stringify(text)}`);
  return ids;
}

/**
 * `status --all` / `api --all` with no reply at all: no agent, or every node slower than the
 * gather's window (`api msleep 5000 --all --timeout 700`), which still runs the command.
 */
export function reportNoReply(name: 'api' | 'status', windowMs: number, io: CliIo): void {
  const still = name === 'api' ? ' (it may still run the command)' : '';
  io.err(`fsbus ${name}: no node replied`);
  io.err(`hint: is \`fsbus agent\` running for this prefix? (--prefix, --server); a node slower than the ${windowMs} ms window is not heard${still}: raise --timeout`);
}

/** Says on stderr which nodes (or how many) of `--expect` did not answer; true when some did not. */
export function reportMissing(name: string, result: { readonly missing: readonly string[]; readonly shortfall: number }, expect: GatherOptions['expect'], io: CliIo): boolean {
  if (result.shortfall === 0) return false;
  // Node ids come from the command line here, but are printed as anything else: escaped.
  if (result.missing.length > 0) io.err(terminalLine(`fsbus ${name}: no answer from ${result.missing.join(', ')} (--expect ${Array.isArray(expect) ? expect.join(',') : String(expect)})`));
  else io.err(`fsbus ${name}: ${result.shortfall} of the ${String(expect)} expected nodes did not answer`);
  io.err('hint: is its agent running and reachable? a slow node may need a longer --timeout (it still runs the command after the gather gave up)');
  return true;
}
