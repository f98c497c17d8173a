// Several demos on one machine: each keeps a state file of its own, stopping one leaves the
// others found, and the lookup takes the newest live one, skipping (and removing) a dead one's.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { processAlive } from '@fsbus/testkit';
import { readDemoState, removeDemoState, writeDemoState, type DemoState } from '../src/bus/demo-state.js';
import { resolveConnection } from '../src/bus/global-options.js';
import { webOptions } from '../src/commands/web.js';

/** A pid that was just used and is now free (its process has exited). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  assert.equal(processAlive(pid), false);
  return pid;
}

function state(pid: number, port: number, started: string): DemoState {
  return { driver: 'nats', servers: [`nats://127.0.0.1:${port}`], prefix: 'freeswitch', pid, started };
}

void describe('demo state files', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fsbus-demo-state-'));
    env = { FSBUS_DEMO_STATE: join(dir, 'demo.json') };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  void it('two demos keep a file each; the lookup takes the newest, and stopping it leaves the other found', () => {
    // Two live processes: the test runner's parent and this one.
    const older = writeDemoState(state(process.ppid, 41001, '2024-01-01T10:00:00.000Z'), env);
    const newer = writeDemoState(state(process.pid, 41002, '2024-01-01T10:05:00.000Z'), env);
    assert.notEqual(older, newer);
    assert.ok(existsSync(older) && existsSync(newer), 'both files kept');
    assert.equal(readDemoState(env)?.pid, process.pid);
    const both = resolveConnection({}, env);
    assert.deepEqual(both.servers, ['nats://127.0.0.1:41002']);
    assert.match(both.note ?? '', new RegExp(`^2 demos are running; using the newest, pid ${process.pid} \\(nats://127\\.0\\.0\\.1:41002, started 2024-01-01T10:05:00\\.000Z\\); --server or FSBUS_BROKER_URL picks another$`));

    removeDemoState(process.pid, env);
    assert.equal(existsSync(newer), false);
    assert.ok(existsSync(older), "the other demo's file is left alone");
    const one = resolveConnection({}, env);
    assert.deepEqual(one.servers, ['nats://127.0.0.1:41001']);
    assert.equal(one.note, undefined, 'one demo: nothing to say');
  });

  void it("a link planted at the state file's temporary name is not written through", () => {
    const target = join(dir, 'victim.txt');
    writeFileSync(target, 'untouched\n');
    symlinkSync(target, join(dir, `.demo-${process.pid}.json.tmp`));
    const path = writeDemoState(state(process.pid, 41007, '2024-01-01T10:00:00.000Z'), env);
    assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
    assert.equal(readDemoState(env)?.servers[0], 'nats://127.0.0.1:41007');
    assert.ok(existsSync(path));
  });

  void it('fsbus web says which of several demos its dashboard uses, as the bus commands do', () => {
    writeDemoState(state(process.ppid, 41005, '2024-01-01T10:00:00.000Z'), env);
    writeDemoState(state(process.pid, 41006, '2024-01-01T10:05:00.000Z'), env);
    const said: string[] = [];
    const o = webOptions([], env, (line) => said.push(line));
    assert.ok(o !== 'help');
    assert.deepEqual(o.bus?.servers, ['nats://127.0.0.1:41006']);
    assert.equal(said.length, 1);
    assert.match(said[0]!, new RegExp(`^fsbus web: 2 demos are running; using the newest, pid ${process.pid} `));
  });

  void it("a dead demo's file is skipped and removed, even when it is the newest", () => {
    const live = writeDemoState(state(process.pid, 41003, '2024-01-01T10:00:00.000Z'), env);
    const dead = writeDemoState(state(deadPid(), 41004, '2024-01-01T11:00:00.000Z'), env);
    assert.equal(readDemoState(env)?.pid, process.pid);
    assert.equal(existsSync(dead), false, "the dead demo's file is removed");
    assert.ok(existsSync(live));
    assert.deepEqual(resolveConnection({}, env).servers, ['nats://127.0.0.1:41003']);
  });

  void it('only dead demos: no demo, the default broker', () => {
    writeDemoState(state(deadPid(), 41005, '2024-01-01T10:00:00.000Z'), env);
    assert.equal(readDemoState(env), undefined);
    assert.deepEqual(resolveConnection({}, env).servers, ['nats://127.0.0.1:4222']);
  });
});
