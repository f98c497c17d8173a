// The park state file (dialplan.state_file) is created in an existing directory, never a
// directory tree: a misspelt path used to be created silently (mkdir -p), and a path under /proc
// hung the start for good (procfs answers ENOENT to a mkdir there, and node's recursive mkdir
// retries the parent for ever). A missing directory is a config error at start (exit 78, naming
// the field), as an unwritable one is; so is a path on /proc or /sys, or one that is no file (a
// FIFO, whose read waits for a writer).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/errors.js';
import { ParkStateFile } from '../src/dialplan/state-file.js';
import { spawnAgent, type AgentProcess } from './support/agent-process.js';

const dir = mkdtempSync(join(tmpdir(), 'fsbus-park-dir-'));
const agents: AgentProcess[] = [];
after(() => {
  for (const a of agents) a.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** `fsbus agent` with this state file; no broker runs, none is needed to refuse the config. */
async function startWith(stateFile: string): Promise<{ code: number | null; stderr: string }> {
  const agent = spawnAgent({ FSBUS_DIALPLAN_STATE_FILE: stateFile, FSBUS_DIALPLAN_PORT: '0', FSBUS_METRICS: 'false', FSBUS_BROKER_URL: 'nats://127.0.0.1:1' });
  agents.push(agent);
  const { code } = await agent.exited;
  return { code, stderr: agent.stderr() };
}

async function refusal(path: string): Promise<string> {
  try {
    await new ParkStateFile(path).open();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.field, 'dialplan.state_file');
    return err.message;
  }
  assert.fail(`${path} accepted`);
}

void test('a state file in a missing directory stops the start (exit 78) and no directory is made', async () => {
  const missing = join(dir, 'no-such-dir', 'sub');
  const { code, stderr } = await startWith(join(missing, 'park.json'));
  assert.equal(code, 78, stderr);
  assert.ok(stderr.includes(`invalid config: dialplan.state_file: the directory ${missing} does not exist`), stderr);
  assert.equal(existsSync(join(dir, 'no-such-dir')), false);
});

void test('a state file under /proc stops the start (exit 78) instead of hanging it', async () => {
  const { code, stderr } = await startWith('/proc/fsbus/park.json');
  assert.equal(code, 78, stderr);
  assert.match(stderr, /invalid config: dialplan\.state_file: /);
});

void test('on /proc or /sys, or no regular file: refused, not read', async () => {
  assert.match(await refusal('/proc/fsbus-park.json'), /\/proc is on the kernel's proc file system/);
  // Read by root, /proc/kmsg waits for the kernel's next message.
  if (existsSync('/proc/kmsg')) assert.match(await refusal('/proc/kmsg'), /proc file system/);
  assert.match(await refusal('/sys/fsbus-park.json'), /\/sys is on the kernel's sysfs file system/);
  const fifo = join(dir, 'fifo.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  assert.match(await refusal(fifo), new RegExp(`${fifo} is not a regular file`));
});

void test('in an existing directory the file is still created by the first save', async () => {
  const path = join(dir, 'park.json');
  const file = new ParkStateFile(path);
  await file.open();
  assert.equal(existsSync(path), false);
  await file.save({ ...(await file.load()) });
  assert.equal(existsSync(path), true);
});
