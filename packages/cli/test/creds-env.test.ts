// FSBUS_BROKER_CREDS (the agent's name) gives the CLI a NATS `.creds` file for operator-mode
// servers, as auth.credsFile; one that cannot be read, one with another credential, or one given
// to a driver other than nats, or one that is no .creds file, is a usage error before connecting,
// the file's content unprinted.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nkeys } from '@nats-io/transport-node';
import { processTempDir } from '@fsbus/testkit';
import { connectOptions } from '../src/bus/global-options.js';
import { cliEnv, runCli } from './support/run-cli.js';

const NOWHERE = 'nats://127.0.0.1:1';
const env = cliEnv({ FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
const dir = processTempDir('fsbus-cli-creds-');
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
// The form is checked before connecting, not the signature (the server checks that).
const userJwt = `${b64({ typ: 'JWT', alg: 'ed25519-nkey' })}.${b64({ sub: 'U', nats: { type: 'user', version: 2 } })}.sig`;
const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
const file = join(dir.dir, 'user.creds');
writeFileSync(file, `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`);
const notCreds = join(dir.dir, 'not.creds');
writeFileSync(notCreds, 'not shown\n');

void describe('FSBUS_BROKER_CREDS', () => {
  after(() => dir.remove());

  void it('is passed to the nats driver as auth.credsFile', () => {
    const options = connectOptions({ driver: 'nats', servers: [NOWHERE], prefix: undefined, timeoutMs: undefined, source: 'flag' }, { FSBUS_BROKER_CREDS: file });
    assert.deepEqual(options.auth, { credsFile: file });
  });

  void it('unreadable, malformed, with another credential, or with another driver: a usage error naming the variable', async () => {
    for (const [extra, args, words] of [
      [{ FSBUS_BROKER_CREDS: join(dir.dir, 'missing.creds') }, ['-s', NOWHERE], /FSBUS_BROKER_CREDS: cannot read .*missing\.creds \(ENOENT\)/],
      [{ FSBUS_BROKER_CREDS: notCreds }, ['-s', NOWHERE], /FSBUS_BROKER_CREDS: .*not\.creds is not a \.creds file: no "BEGIN NATS USER JWT" and "BEGIN USER NKEY SEED" blocks/],
      [{ FSBUS_BROKER_CREDS: file, FSBUS_BROKER_TOKEN: 't' }, ['-s', NOWHERE], /FSBUS_BROKER_CREDS cannot be combined with FSBUS_BROKER_TOKEN/],
      [{ FSBUS_BROKER_CREDS: file }, ['-s', 'mqtt://127.0.0.1:1'], /FSBUS_BROKER_CREDS is for the nats driver only \(the driver is mqtt\)/],
    ] as const) {
      const r = await runCli(['status', ...args], { ...env, ...extra });
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, words);
      assert.doesNotMatch(r.err, /not shown/);
      assert.ok(!r.err.includes(seed), 'the seed is a secret');
    }
  });
});
