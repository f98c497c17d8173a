/**
 * What the ESL-facing suites (esl-api, bus-command) measure against: the simulator they start,
 * or a FreeSWITCH named with `--freeswitch host:port` — to see the bus against direct ESL on a
 * real switch and real hardware. The password comes from FSBUS_ESL_PASSWORD (default ClueCon),
 * as the agent takes it. Never point it at a production switch: the suites send it tens of
 * thousands of `api status` a second.
 */
import { EslClient } from '@fsbus/esl';
import { startSim } from './children.js';
import type { SuiteArgs } from './cli-args.js';

export interface EslTarget {
  readonly host: string;
  readonly port: number;
  readonly password: string;
  /** The simulator's pid, whose CPU the tables show; undefined for an external FreeSWITCH. */
  readonly pid: number | undefined;
  /** For the report: what answered. */
  readonly description: string;
  /** True for `--freeswitch`. */
  readonly external: boolean;
  stop(): Promise<void>;
}

/** The suite's switch; `progress` is told what is happening meanwhile. */
export async function openEslTarget(args: SuiteArgs, progress: { step(label: string): void }): Promise<EslTarget> {
  const fs = args.freeswitch;
  progress.step(fs === undefined ? 'starting the simulator' : 'logging in to FreeSWITCH');
  if (fs === undefined) {
    const sim = await startSim(args.childFlags);
    return { host: sim.host, port: sim.port, password: 'ClueCon', pid: sim.pid, description: 'fsbus sim (child process)', external: false, stop: () => sim.stop() };
  }
  const password = process.env['FSBUS_ESL_PASSWORD'] ?? 'ClueCon';
  // Fail here, by name, rather than inside the first measured case.
  const probe = new EslClient({ host: fs.host, port: fs.port, password, reconnect: false });
  let version: string;
  try {
    await probe.connect();
    version = (await probe.api('version')).trim();
  } catch (err) {
    throw new Error(`--freeswitch ${fs.host}:${fs.port}: cannot log in and run \`api version\` (${(err as Error).message})`, { cause: err });
  } finally {
    await probe.close().catch(() => undefined);
  }
  return { ...fs, password, pid: undefined, description: `FreeSWITCH at ${fs.host}:${fs.port} (${version})`, external: true, stop: () => Promise.resolve() };
}
