// Operator-mode NATS (decentralised JWT auth: `nsc`-managed servers, Synadia Cloud) admits only a
// user JWT signed by a trusted account plus the user's seed signing the nonce — a `.creds` file.
// Neither an NKey seed alone nor any other credential gets in: without creds support the SDK and
// the agent could not reach such a server at all. Real nats-server in operator mode, real agent,
// simulated FreeSWITCH.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { processTempDir, startNatsServer, type NatsServerHandle, type TempDir } from '@fsbus/testkit';
import { ClientError, ClientErrorCode, connect, type ConnectOptions } from '../src/index.js';
import { makeOperatorCreds } from './support/nats-operator.js';
import { untilAgent } from './support/stack.js';

const made = makeOperatorCreds();

async function refusal(options: ConnectOptions): Promise<ClientError> {
  try {
    const client = await connect({ connectTimeoutMs: 3000, ...options });
    await client.close();
  } catch (err) {
    assert.ok(err instanceof ClientError, String(err));
    return err;
  }
  assert.fail('connected');
}

void describe('@fsbus/client and the agent on an operator-mode (JWT) NATS server: .creds files', () => {
  let nats: NatsServerHandle;
  let dir: TempDir;
  let credsFile: string;
  let sim: Simulator;
  let agent: Agent | undefined;
  before(async () => {
    dir = processTempDir('fsbus-creds-');
    credsFile = join(dir.dir, 'user.creds');
    writeFileSync(credsFile, made.creds, { mode: 0o600 });
    nats = await startNatsServer({ operator: made.server });
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'creds-1' });
    const { port } = await sim.start();
    const config = loadConfig({
      values: { log_level: 'silent', metrics: { enabled: false } },
      env: { FSBUS_NODE_ID: 'creds-1', FSBUS_BROKER_URL: nats.url, FSBUS_BROKER_CREDS: credsFile, FSBUS_ESL_HOST: '127.0.0.1', FSBUS_ESL_PORT: String(port) },
    });
    const started = new Agent(config);
    agent = started;
    await started.start();
    await untilAgent(started, () => started.ready, 'agent ready with FSBUS_BROKER_CREDS');
  });
  after(async () => {
    await agent?.stop();
    await sim?.stop();
    await nats?.stop();
    dir?.remove();
  });

  void it('connects with auth.credsFile and with auth.creds, and a request reaches the agent signed in with FSBUS_BROKER_CREDS', async () => {
    for (const auth of [{ credsFile }, { creds: made.creds }]) {
      const client = await connect({ servers: nats.url, auth });
      try {
        assert.match(await client.api('status'), /UP /);
      } finally {
        await client.close();
      }
    }
  });

  void it('a user of an account the server does not trust, or the seed alone, is refused as a connect error naming the refusal', async () => {
    for (const auth of [{ creds: made.strangerCreds }, { nkeySeed: made.seed }]) {
      const err = await refusal({ servers: nats.url, auth });
      assert.equal(err.code, ClientErrorCode.CONNECT, err.message);
      assert.match(err.message, /Authorization Violation/i);
    }
  });

  void it('an unknown auth key is an invalid argument naming it and the keys accepted', async () => {
    const err = await refusal({ servers: nats.url, auth: { creds_file: credsFile } as never });
    assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, err.message);
    assert.match(err.message, /connect: unknown auth key 'creds_file' \(known: token, nkeySeed, creds, credsFile, user, password\)/);
  });

  void it('creds with another credential, or both creds and credsFile, or on another driver, are invalid arguments; the text is never quoted', async () => {
    for (const [auth, driver, words] of [
      [{ credsFile, token: 's3cret' }, 'nats', /auth\.credsFile cannot be combined with auth\.token/],
      [{ creds: made.creds, nkeySeed: made.seed }, 'nats', /auth\.creds cannot be combined with auth\.nkeySeed/],
      [{ creds: made.creds, credsFile }, 'nats', /auth\.credsFile cannot be combined with auth\.creds/],
      [{ credsFile }, 'redis', /auth\.credsFile is for the nats driver only \(the driver is redis\)/],
      [{ creds: 42 }, 'nats', /auth\.creds must be a string/],
    ] as const) {
      const err = await refusal({ driver, auth: auth as never });
      assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, err.message);
      assert.match(err.message, words);
      assert.ok(!err.message.includes(made.seed), 'the seed is a secret');
    }
  });

  void it('a credsFile that is missing or no .creds file fails the connect saying so, its content unquoted', async () => {
    const bad = join(dir.dir, 'bad.creds');
    writeFileSync(bad, `${made.seed}\n`);
    for (const [file, words] of [
      [join(dir.dir, 'missing.creds'), /auth\.credsFile: cannot read .*missing\.creds \(ENOENT\)/],
      [bad, /auth\.credsFile .*bad\.creds: no "BEGIN NATS USER JWT"/],
    ] as const) {
      const err = await refusal({ servers: nats.url, auth: { credsFile: file } });
      assert.match(err.message, words);
      assert.ok(!err.message.includes(made.seed), 'the seed is a secret');
    }
  });
});
