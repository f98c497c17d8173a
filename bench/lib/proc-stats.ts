/**
 * CPU time and RSS of another process, from /proc (Linux): `/proc/<pid>/stat` fields 14-15
 * (utime, stime, in clock ticks) and `/proc/<pid>/status` VmRSS. Elsewhere they read as NaN and
 * the reports say "–".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** USER_HZ; 100 on every Linux that node supports. */
const TICKS_PER_SEC = 100;

/** CPU seconds of `pid` and all its descendants (a broker started by a wrapper script, e.g. RabbitMQ's beam.smp). */
export function treeCpuSeconds(pid: number): number {
  const parent = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return cpuSeconds(pid);
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of parent) {
      if (!tree.has(p) && tree.has(pp)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let sum = 0;
  for (const p of tree) {
    const c = cpuSeconds(p);
    if (Number.isFinite(c)) sum += c;
  }
  return sum;
}

export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU% (100 = one core) and peak RSS of `pid` over a window; sampled every `everyMs`. */
export class ProcSampler {
  readonly #pid: number;
  readonly #cpu0: number;
  readonly #t0 = performance.now();
  readonly #timer: NodeJS.Timeout;
  peakRssMb: number;
  readonly rssSamples: number[] = [];

  constructor(pid: number, everyMs = 250) {
    this.#pid = pid;
    this.#cpu0 = cpuSeconds(pid);
    this.peakRssMb = rssMb(pid);
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): number {
    const r = rssMb(this.#pid);
    this.rssSamples.push(r);
    if (!(r <= this.peakRssMb)) this.peakRssMb = r;
    return r;
  }

  /** Stops sampling; returns CPU% over the window, the RSS now and the peak. */
  finish(): { cpuPercent: number; rssMb: number; peakRssMb: number } {
    clearInterval(this.#timer);
    const seconds = (performance.now() - this.#t0) / 1000;
    const now = this.sample();
    return { cpuPercent: ((cpuSeconds(this.#pid) - this.#cpu0) / seconds) * 100, rssMb: now, peakRssMb: this.peakRssMb };
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
function machineJiffies(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** This process's children (pid and command name), e.g. to find the broker it just started. */
export function childProcesses(): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === process.pid) out.push({ pid: Number(entry), comm: name });
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

/**
 * The child started since `before` (pids) that has used the most CPU: the broker a starter just
 * launched (RabbitMQ's start also leaves an idle epmd behind); undefined when none is new. Node
 * processes are passed over: no broker is one, and the test kit's janitor (which ends the brokers
 * if this process is killed) is started with the first broker and costs more to start than it.
 */
export function busiestNewChild(before: ReadonlySet<number>): number | undefined {
  return childProcesses()
    .filter((c) => !before.has(c.pid) && c.comm !== 'node')
    .map((c) => ({ pid: c.pid, cpu: treeCpuSeconds(c.pid) }))
    .sort((x, y) => y.cpu - x.cpu)[0]?.pid;
}

export interface CpuWindow {
  /** Whole machine, 100 = every core busy (other users included). */
  machinePercent: number;
  /** Per named process, 100 = one core. */
  processes: Record<string, number>;
}

/** CPU shares over a window: the machine as a whole and each named pid with its descendants (this process as `client`). */
export class CpuMeter {
  readonly #pids: Record<string, number>;
  readonly #start: Record<string, number> = {};
  readonly #machine0 = machineJiffies();
  readonly #self0 = process.cpuUsage();
  readonly #t0 = performance.now();

  constructor(pids: Record<string, number>) {
    this.#pids = pids;
    for (const [name, pid] of Object.entries(pids)) this.#start[name] = treeCpuSeconds(pid);
  }

  finish(): CpuWindow {
    const seconds = (performance.now() - this.#t0) / 1000;
    const m = machineJiffies();
    const self = process.cpuUsage(this.#self0);
    const processes: Record<string, number> = { client: ((self.user + self.system) / 1e6 / seconds) * 100 };
    for (const [name, pid] of Object.entries(this.#pids)) processes[name] = ((treeCpuSeconds(pid) - this.#start[name]!) / seconds) * 100;
    return { machinePercent: ((m.busy - this.#machine0.busy) / (m.total - this.#machine0.total)) * 100, processes };
  }
}
