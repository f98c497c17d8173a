// The park state file (dialplan.state_file) the agent cannot use is a configuration error at
// start, naming the setting, the path and the OS's error (exit 78), not a start that goes on and
// fails every dialplan command later (a directory it cannot write), nor an exit 1 that names no
// setting (a file it cannot read). A save that fails later (a full disk) is a warn line besides
// the reply. Run as root, permission bits do not stop anything: a path under a regular file
// (its directory cannot be made: EEXIST from mkdir) stands for a directory the agent cannot
// write, a directory at the file's path (EISDIR) for a file it cannot read.
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, AgentErrorCode, ConfigError, loadConfig } from '@fsbus/agent';
import { BusErrorCode } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { pino } from 'pino';
import { linesOf, occurrences, startAgent } from './support/fault-rig.js';
import { spawnAgent } from './support/agent-process.js';

const dir = mkdtempSync(join(tmpdir(), 'fsbus-park-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SAVE_FAILED = 'park state applied but not saved to dialplan.state_file: a restart loses the change';

/** A state file under a regular file: its directory cannot be made. */
function underAFile(name: string): string {
  const file = join(dir, name);
  writeFileSync(file, '');
  return join(file, 'park.json');
}

/** A state file the agent cannot read: a directory stands at its path (EISDIR). */
function aDirectory(name: string): string {
  const path = join(dir, name, 'park.json');
  mkdirSync(path, { recursive: true });
  return path;
}

/** `fsbus agent` with this state file; no broker runs, none is needed to refuse the config. */
async function startWith(stateFile: string): Promise<{ code: number | null; stderr: string }> {
  const agent = spawnAgent({ FSBUS_DIALPLAN_STATE_FILE: stateFile, FSBUS_DIALPLAN_PORT: '0', FSBUS_METRICS: 'false', FSBUS_BROKER_URL: 'nats://127.0.0.1:1' });
  const { code } = await agent.exited;
  return { code, stderr: agent.stderr() };
}

void test('a park state file in a directory the agent cannot write stops the start: exit 78 naming dialplan.state_file, the path and the error', async () => {
  const path = underAFile('plain-file');
  const { code, stderr } = await startWith(path);
  assert.equal(code, 78, stderr);
  assert.ok(stderr.includes(`invalid config: dialplan.state_file: cannot write ${path}`), stderr);
  // mkdir's words for a directory path that is a file.
  assert.match(stderr, /\((EEXIST|ENOTDIR): [^)]*plain-file'\)/);
});

void test('a park state file the agent cannot read stops the start: exit 78 naming dialplan.state_file, the path and the error', async () => {
  const path = aDirectory('a-dir');
  const { code, stderr } = await startWith(path);
  assert.equal(code, 78, stderr);
  assert.ok(stderr.includes(`invalid config: dialplan.state_file: cannot read ${path}`), stderr);
  assert.match(stderr, /EISDIR/);
});

void test('embedded: Agent.start() rejects with the ConfigError', async () => {
  const nats = await startNatsServer();
  try {
    const config = loadConfig({ values: { node_id: 'psf', broker: { urls: [nats.url] }, metrics: { enabled: false }, dialplan: { state_file: underAFile('embedded') } }, env: {} });
    const agent = new Agent(config, { logger: pino({ level: 'silent' }) });
    await assert.rejects(agent.start(), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.code, AgentErrorCode.CONFIG);
      assert.equal(err.field, 'dialplan.state_file');
      return true;
    });
    await agent.stop();
  } finally {
    await nats.stop();
  }
});

void test('a save that fails later is a warn line (once per burst) besides the reply', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const stateDir = join(dir, 'later');
  const path = join(stateDir, 'park.json');
  mkdirSync(stateDir);
  const rig = await startAgent({ eslPort: port, brokerUrl: nats.url, config: { dialplan: { port: 0, state_file: path } } });
  let stopped = false;
  try {
    // The directory becomes a file: every save now fails (as a full disk would).
    rmSync(stateDir, { recursive: true, force: true });
    writeFileSync(stateDir, '');
    for (const command of ['dialplan.enable', 'dialplan.disable']) {
      const r = await rig.request(`{"command":"${command}"}`);
      assert.equal(r.success, false);
      assert.equal(r.code, BusErrorCode.INTERNAL);
      assert.match(r.message ?? '', /^Park state applied but not saved: /);
    }
    const lines = linesOf(rig.logs, SAVE_FAILED);
    assert.equal(lines.length, 1, JSON.stringify(rig.logs));
    assert.equal(lines[0]!['level'], 40);
    assert.equal(lines[0]!['path'], path);
    assert.match(String(lines[0]!['reason']), /ENOTDIR|EEXIST/);
    await rig.stop();
    stopped = true;
    // What the burst held back is written at the stop: both failures accounted for.
    assert.equal(occurrences(linesOf(rig.logs, SAVE_FAILED)), 2);
  } finally {
    if (!stopped) await rig.stop();
    await sim.stop();
    await nats.stop();
  }
});
