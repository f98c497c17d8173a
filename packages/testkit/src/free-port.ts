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
export const CLAIMS = join(tmpdir(), `fsbus-ports-${process.getuid?.() ?? 'user'}`);
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

/**
 * A loopback port that is free and claimed for this process, outside the ephemeral range (for
 * brokers that cannot pick their own). No other caller of `freePort` on this machine, in this
 * process or another, is handed the same port while this process lives.
 */
export async function freePort(): Promise<number> {
  const [lo, hi] = ephemeralRange();
  const [min, max] = lo - 10000 >= 2000 ? [10000, lo - 1] : [hi + 1, 65535];
  for (let attempt = 0; attempt < 200 && max > min; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (claimPort(port) && (await canListen(port))) return port;
  }
  return kernelPort();
}
