import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@fsbus/testkit';
import { CLAIMS, claimPort, pickPort } from '../src/free-port.js';

const PICKS = 200;

/** Runs `PICKS` freePort calls in a separate node process, which prints them and lives until its stdin closes. */
function picker(): { ports: Promise<number[]>; exit: () => Promise<void> } {
  const child = spawn(
    process.execPath,
    [...process.execArgv, '--input-type=module', '-e', `
      import { freePort } from '@fsbus/testkit';
      const ports = [];
      for (let i = 0; i < ${PICKS}; i++) ports.push(await freePort());
      process.stdout.write(JSON.stringify(ports) + '\\n');
      process.stdin.resume().once('end', () => process.exit(0));
    `],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  const ports = new Promise<number[]>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.endsWith('\n')) resolve(JSON.parse(out) as number[]);
    });
    child.once('exit', (code) => reject(new Error(`picker exited with ${code} before printing`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exit = () => {
    child.stdin.end();
    return exited;
  };
  return { ports, exit };
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid ?? 999_999;
}

void test('freePort: picks in one process are distinct, claimed by it, outside the ephemeral range', async () => {
  const ports: number[] = [];
  for (let i = 0; i < PICKS; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, PICKS);
  const [lo] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  for (const port of ports) {
    assert.ok(port < lo! || port > 60999, `port ${port} inside the ephemeral range`);
    assert.equal(readFileSync(join(CLAIMS, String(port)), 'utf8'), String(process.pid));
  }
});

void test('freePort: processes picking at the same time never share a port; a process releases its claims at exit', async () => {
  const [a, b] = [picker(), picker()];
  let portsA: number[], portsB: number[];
  try {
    [portsA, portsB] = await Promise.all([a.ports, b.ports]);
    assert.equal(new Set([...portsA, ...portsB]).size, 2 * PICKS);
    assert.ok(portsA.every((p) => existsSync(join(CLAIMS, String(p)))));
  } finally {
    await Promise.all([a.exit(), b.exit()]);
  }
  assert.ok([...portsA, ...portsB].every((p) => !existsSync(join(CLAIMS, String(p)))));
});

void test('claimPort: a live claim is honoured, a dead process\'s old claim is cleared, a recent one kept', async () => {
  const port = await freePort();
  assert.equal(claimPort(port), false, 'this process already holds it');

  // 1 and 2 are ports no test hands out (below the range); their claim files are ours to stage.
  const [stale, recent] = [1, 2].map((p) => join(CLAIMS, String(p)));
  const dead = deadPid();
  writeFileSync(stale!, String(dead));
  const old = new Date(Date.now() - 60 * 60_000);
  utimesSync(stale!, old, old);
  writeFileSync(recent!, String(dead));

  assert.equal(claimPort(1), false, 'the port is skipped the time its stale claim is found');
  assert.equal(existsSync(stale!), false, 'and the claim is cleared');
  assert.equal(claimPort(1), true, 'so the next pick may take it');
  assert.equal(claimPort(2), false, 'a recent claim of a dead process is left a while');
  assert.equal(existsSync(recent!), true);
  unlinkSync(stale!);
  unlinkSync(recent!);
});

void test('pickPort: with no room outside the ephemeral range (1024-65535) it takes ports the kernel offers, claimed like any other', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 50; i++) ports.push(await pickPort([1024, 65535]));
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) assert.equal(readFileSync(join(CLAIMS, String(port)), 'utf8'), String(process.pid), `port ${port} claimed`);
});

void test('pickPort: picks in the largest stretch outside the ephemeral range', async () => {
  // Below 13000 there are 3000 ports from the floor (10000), above 60999 there are 4536.
  for (let i = 0; i < 20; i++) {
    const port = await pickPort([13000, 60999]);
    assert.ok(port > 60999, `port ${port} not in 61000-65535`);
  }
});

void test('pickPort: fails, saying why, when no port is left to claim', async () => {
  const held = await freePort(); // claimed by this process: the "kernel" below offers only that one
  await assert.rejects(pickPort([1024, 65535], () => Promise.resolve(held)), /no loopback port left.*1024-65535/s);
});
