import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The local ports the kernel hands to outgoing connections. A broker port inside that range can
 * be taken by some client's connection while the broker is down for a restart test, and the
 * broker then cannot listen again; ports outside it are only ever taken by listeners.
 */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    // not Linux: fall through to the kernel's usual default
  }
  return [32768, 60999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A port is free when handed out but only bound later — by a broker that takes seconds to start,
 * or a ZeroMQ socket a test creates after building its URLs. Test files run in parallel
 * processes, so two of them could pick the same free port inside that window and one would fail
 * with EADDRINUSE. Each pick is therefore also claimed in a directory every process on the machine
 * shares: a file per port, created exclusively, naming the claiming process. A port stays claimed
 * until its process exits; claims left by a killed process are cleared once they are old.
 */
// In /tmp whatever TMPDIR says: ports are machine-wide, so are their claims.
export const CLAIMS = join(process.platform === 'win32' ? tmpdir() : '/tmp', `fsbus-ports-${process.getuid?.() ?? 'user'}`);
const STALE_CLAIM_MS = 10 * 60_000;
const ours: string[] = [];

/** The process exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseOurs(): void {
  for (const file of ours.splice(0)) {
    try {
      unlinkSync(file);
    } catch {
      // already gone: nothing to release
    }
  }
}

/** Claims `port` for this process; false when some live process (this one included) holds it. */
export function claimPort(port: number): boolean {
  const file = join(CLAIMS, String(port));
  try {
    mkdirSync(CLAIMS, { recursive: true });
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') clearIfStale(file);
    return false;
  }
  if (ours.length === 0) process.once('exit', releaseOurs);
  ours.push(file);
  return true;
}

/** A claim whose process is gone and which is old is cleared; the port is still skipped this time. */
function clearIfStale(file: string): void {
  try {
    const owner = Number(readFileSync(file, 'utf8'));
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return;
    if (Date.now() - statSync(file).mtimeMs < STALE_CLAIM_MS) return;
    unlinkSync(file);
  } catch {
    // raced with its owner or another cleaner: leave it
  }
}

/** Ports below this are left to other software on the machine (well-known and registered ports). */
const FLOOR = 10_000;
const WINDOW_TRIES = 200;
const KERNEL_TRIES = 50;

/** The largest stretch of ports from FLOOR up that lies outside the ephemeral range `[lo, hi]`, if any. */
export function portWindow([lo, hi]: readonly [number, number]): [number, number] | undefined {
  const below: [number, number] = [FLOOR, lo - 1];
  const above: [number, number] = [Math.max(FLOOR, hi + 1), 65535];
  const size = ([min, max]: [number, number]) => max - min + 1;
  const best = size(below) >= size(above) ? below : above;
  return size(best) > 0 ? best : undefined;
}

/**
 * A loopback port that is free and claimed for this process, outside the ephemeral range `range`
 * when there is room (see portWindow). Without room — `ip_local_port_range` of `1024 65535` — it
 * takes a port the kernel offers, inside that range, claimed all the same.
 */
export async function pickPort(range: readonly [number, number], kernel: () => Promise<number> = kernelPort): Promise<number> {
  const window = portWindow(range);
  if (window !== undefined) {
    const [min, max] = window;
    for (let attempt = 0; attempt < WINDOW_TRIES; attempt++) {
      const port = min + Math.floor(Math.random() * (max - min + 1));
      if (claimPort(port) && (await canListen(port))) return port;
    }
  }
  for (let attempt = 0; attempt < KERNEL_TRIES; attempt++) {
    const port = await kernel();
    if (claimPort(port)) return port;
  }
  const outside = window === undefined ? `leaves no port from ${FLOOR} up outside it` : `leaves ${window[0]}-${window[1]} outside it, and ${WINDOW_TRIES} picks there were all taken`;
  throw new Error(
    `no loopback port left for a broker: the ephemeral range ${range[0]}-${range[1]} (net.ipv4.ip_local_port_range) ${outside}; ` +
      `the ${KERNEL_TRIES} ports the kernel offered were all claimed by test processes (${CLAIMS})`,
  );
}

/** Ports the next freePort() calls hand out as they are, for tests of what a starter does when its port was taken. */
const planted: number[] = [];

export function plantPorts(...ports: number[]): void {
  planted.push(...ports);
}

/**
 * A loopback port that is free and claimed for this process, outside the ephemeral range when
 * the machine leaves room (for brokers that cannot pick their own). No other caller of `freePort`
 * on this machine, in this process or another, is handed the same port while this process lives.
 */
export async function freePort(): Promise<number> {
  return planted.shift() ?? pickPort(ephemeralRange());
}
