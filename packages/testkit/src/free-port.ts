import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

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

/** A loopback port that was free a moment ago, outside the ephemeral range (for brokers that cannot pick their own). */
export async function freePort(): Promise<number> {
  const [lo, hi] = ephemeralRange();
  const [min, max] = lo - 10000 >= 2000 ? [10000, lo - 1] : [hi + 1, 65535];
  for (let attempt = 0; attempt < 50 && max > min; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (await canListen(port)) return port;
  }
  return kernelPort();
}
