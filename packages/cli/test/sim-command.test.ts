import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WireClient } from '../../sim/test/listener-client.js';

const BIN = fileURLToPath(new URL('../bin/fsbus.js', import.meta.url));

/** `fsbus <args>` to its end: its exit code, stdout and stderr. */
function runCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

interface RunningSim {
  /** An Event Socket client, authenticated, on the port of its first line. */
  client: WireClient;
  /** Closes the client and sends SIGTERM: the simulator must exit 0. */
  stop(): Promise<void>;
  /** For a finally: SIGKILL unless it exited. */
  kill(): void;
}

/** `fsbus sim --port 0 <args>`, once it printed its port line (`fsbus sim listening on 127.0.0.1:<port>`). */
async function startSim(args: string[]): Promise<RunningSim> {
  const child = spawn(process.execPath, [BIN, 'sim', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kill = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  const lines = createInterface({ input: child.stdout });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', () => reject(new Error(`exited before its port line; stderr: ${stderr}`)));
    });
    const match = /^fsbus sim listening on 127\.0\.0\.1:(\d+)$/.exec(first);
    assert.ok(match, `first line: ${first}`);
    const client = await WireClient.authed(Number(match[1]));
    const stop = async (): Promise<void> => {
      client.close();
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      lines.close();
    };
    return { client, stop, kill };
  } catch (err) {
    kill();
    throw err;
  }
}

// Each test its own simulators (--port 0) and children: two side by side.
void describe('fsbus sim', { concurrency: 2 }, () => {
  void it('prints the port line for --port 0, serves api status, and exits 0 on SIGTERM', async () => {
    const sim = await startSim([]);
    try {
      const status = await sim.client.command('api status');
      assert.equal(status.headers.get('Content-Type'), 'api/response');
      assert.match(status.body?.toString() ?? '', /is ready\n/);
      await sim.stop();
    } finally {
      sim.kill();
    }
  });

  void it('prints its help and refuses bad options', async () => {
    const run = runCli;
    // A value the simulator refuses: one line and exit 2, not a SimConfigError with its stack.
    const values = [['--acl', 'bogus'], ['--acl', '10.0.0.0/99'], ['--outbound', 'nohostport'], ['--password', ''], ['--node-name', ' '], ['--xml-curl-url', 'notaurl']];
    // All independent: side by side.
    const [help, bad, unknown, ...refusals] = await Promise.all([run(['sim', '--help']), run(['sim', '--port', 'eighty']), run(['frobnicate']), ...values.map((args) => run(['sim', '--port', '0', ...args]))]);
    assert.equal(help.code, 0);
    assert.match(help.out, /--xml-curl-url/);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--port must be a port number/);
    for (const refused of refusals) {
      assert.equal(refused.code, 2, refused.err);
      assert.match(refused.err, /^fsbus sim: .*; see fsbus sim --help\n$/);
    }
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command/);
  });

  void it('--dialplan and --playback-ms reach the simulator; a bad file or length is a usage error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsbus-sim-dialplan-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ default: [{ name: 'play', conditions: [{ expression: '^5000$', actions: [{ application: 'answer' }, { application: 'playback', data: 'x.wav' }, { application: 'park' }] }] }] }));
      const sim = await startSim(['--dialplan', good, '--playback-ms', '7']);
      try {
        const { client } = sim;
        assert.equal(await client.replyText('event plain CHANNEL_EXECUTE_COMPLETE'), '+OK event listener enabled plain');
        assert.match((await client.command('api originate loopback/5000 &park()')).body?.toString() ?? '', /^\+OK /);
        const played = (): string | undefined => client.peek().map((f) => f.body?.toString() ?? '').find((b) => b.includes('\nApplication: playback\n'));
        await client.waitFor(() => played() !== undefined, undefined, 'the playback CHANNEL_EXECUTE_COMPLETE');
        assert.match(played() ?? '', /\nvariable_playback_ms: 7\n/);
        await sim.stop();
      } finally {
        sim.kill();
      }

      const run = (args: string[]): Promise<{ code: number | null; err: string }> => runCli(['sim', '--port', '0', ...args]);
      const notJson = join(dir, 'not.json');
      writeFileSync(notJson, '<include/>\n');
      const badShape = join(dir, 'shape.json');
      writeFileSync(badShape, JSON.stringify({ default: [{ name: 'x', conditions: [{ actions: [{ app: 'answer' }] }] }] }));
      const files = [join(dir, 'missing.json'), notJson, badShape];
      const refusals = await Promise.all(files.map((file) => run(['--dialplan', file])));
      for (const [i, file] of files.entries()) {
        const refused = refusals[i]!;
        assert.equal(refused.code, 2, refused.err);
        assert.ok(refused.err.startsWith(`fsbus sim: --dialplan ${file}: `), refused.err);
        assert.match(refused.err, /; see fsbus sim --help\n$/);
        // One line (JSON.parse quotes the file's newline), each part said once (`ENOENT: ENOENT: …` was).
        assert.equal(refused.err.split('\n').length, 2, refused.err);
        assert.doesNotMatch(refused.err, /\b([A-Z]+): \1:/, refused.err);
      }
      assert.match(refusals[2]!.err, /default\[0\]\.conditions\[0\]\.actions\[0\] must be/);
      for (const refused of await Promise.all(['-1', 'fast', '1.5'].map((value) => run([`--playback-ms=${value}`])))) {
        assert.equal(refused.code, 2, refused.err);
        assert.match(refused.err, /--playback-ms must be a number of milliseconds/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('--gateway declares mod_sofia gateways: dialled, listed by sofia status; a bad value is a usage error', async () => {
    const sim = await startSim(['--gateway', 'carrier', '--gateway=backup=sip:proxy.example.com:5060']);
    try {
      const { client } = sim;
      const api = async (command: string): Promise<string> => (await client.command(`api ${command}`)).body?.toString() ?? '';
      assert.match(await api('originate sofia/gateway/carrier/1000 &park()'), /^\+OK [0-9a-f-]{36}\n$/);
      assert.match(await api('originate sofia/gateway/backup/1000 &park()'), /^\+OK [0-9a-f-]{36}\n$/);
      assert.equal(await api('originate sofia/gateway/nosuch/1000 &park()'), '-ERR INVALID_GATEWAY\n');
      const status = await api('sofia status');
      assert.match(status, /\n +external::carrier\tgateway\t +sip:FreeSWITCH@carrier\tNOREG\n/);
      assert.match(status, /\n +external::backup\tgateway\t +sip:FreeSWITCH@proxy\.example\.com:5060\tNOREG\n/);
      await sim.stop();
    } finally {
      sim.kill();
    }

    const run = (args: string[]): Promise<{ code: number | null; out: string; err: string }> => runCli(['sim', ...args]);
    assert.match((await run(['--help'])).out, /--gateway <name>\[=<proxy>\]/);
    const refusals: Array<[string[], RegExp]> = [
      [['--gateway', ''], /--gateway must not be empty/],
      [['--gateway', '=proxy.example.com'], /--gateway must be <name>\[=<proxy>\], got "=proxy\.example\.com"/],
      [['--gateway', 'carrier='], /--gateway must be <name>\[=<proxy>\], got "carrier="/],
      [['--gateway', 'a/b'], /gateway name must be/],
      [['--gateway', 'carrier=two words'], /proxy must be a non-empty string without whitespace/],
      [['--gateway', 'carrier', '--gateway', 'carrier=other'], /--gateway carrier is given twice/],
    ];
    const results = await Promise.all(refusals.map(([args]) => run(['--port', '0', ...args])));
    for (const [i, [, message]] of refusals.entries()) {
      const refused = results[i]!;
      assert.equal(refused.code, 2, refused.err);
      assert.match(refused.err, /^fsbus sim: .*; see fsbus sim --help\n$/);
      assert.match(refused.err, message);
    }
  });
});
