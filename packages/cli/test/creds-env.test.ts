// FSBUS_BROKER_CREDS (the agent's name) gives the CLI a NATS `.creds` file for operator-mode
// servers, as auth.credsFile; one that cannot be read, one with another credential, or one given
// to a driver other than nats is a usage error before connecting, the file's content unprinted.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { processTempDir } from '@fsbus/testkit';
import { connectOptions } from '../src/bus/global-options.js';
import { cliEnv, runCli } from './support/run-cli.js';

const NOWHERE = 'nats://127.0.0.1:1';
const env = cliEnv({ FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
const dir = processTempDir('fsbus-cli-creds-');
const file = join(dir.dir, 'user.creds');
writeFileSync(file, 'not shown\n');

void describe('FSBUS_BROKER_CREDS', () => {
  after(() => dir.remove());

  void it('is passed to the nats driver as auth.credsFile', () => {
    const options = connectOptions({ driver: 'nats', servers: [NOWHERE], prefix: undefined, timeoutMs: undefined, source: 'flag' }, { FSBUS_BROKER_CREDS: file });
    assert.deepEqual(options.auth, { credsFile: file });
  });

  void it('unreadable, with another credential, or with another driver: a usage error naming the variable', async () => {
    for (const [extra, args, words] of [
      [{ FSBUS_BROKER_CREDS: join(dir.dir, 'missing.creds') }, ['-s', NOWHERE], /FSBUS_BROKER_CREDS: cannot read .*missing\.creds \(ENOENT\)/],
      [{ FSBUS_BROKER_CREDS: file, FSBUS_BROKER_TOKEN: 't' }, ['-s', NOWHERE], /FSBUS_BROKER_CREDS cannot be combined with FSBUS_BROKER_TOKEN/],
      [{ FSBUS_BROKER_CREDS: file }, ['-s', 'mqtt://127.0.0.1:1'], /FSBUS_BROKER_CREDS is for the nats driver only \(the driver is mqtt\)/],
    ] as const) {
      const r = await runCli(['status', ...args], { ...env, ...extra });
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, words);
      assert.doesNotMatch(r.err, /not shown/);
    }
  });
});
