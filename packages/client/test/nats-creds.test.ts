// Operator-mode NATS (decentralised JWT auth: `nsc`-managed servers, Synadia Cloud) admits only a
// user JWT signed by a trusted account plus the user's seed signing the nonce — a `.creds` file.
// Neither an NKey seed alone nor any other credential gets in: without creds support the SDK and
// the agent could not reach such a server at all. Real nats-server in operator mode, real agent,
// simulated FreeSWITCH.
import { strict as assert } from 'node:assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { processTempDir, startNatsServer, type NatsServerHandle, type TempDir } from '@fsbus/testkit';
import { createDriver, type Driver, type DriverLogger } from '@fsbus/transport';
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

  void it('a .creds file with CRLF line ends (as nats.go reads them) connects, as a file and as text', async () => {
    const crlf = made.creds.replace(/\n/g, '\r\n');
    const file = join(dir.dir, 'crlf.creds');
    writeFileSync(file, crlf, { mode: 0o600 });
    for (const auth of [{ credsFile: file }, { creds: crlf }]) {
      const client = await connect({ servers: nats.url, auth, connectTimeoutMs: 3000 });
      try {
        assert.match(await client.api('status'), /UP /);
      } finally {
        await client.close();
      }
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

  void it('a credsFile that is missing or no .creds file is an invalid argument saying so (no connect tried), its content unquoted', async () => {
    const bad = join(dir.dir, 'bad.creds');
    writeFileSync(bad, `${made.seed}\n`);
    for (const [file, words] of [
      [join(dir.dir, 'missing.creds'), /auth\.credsFile: cannot read .*missing\.creds \(ENOENT\)/],
      [bad, /auth\.credsFile .*bad\.creds: no "BEGIN NATS USER JWT"/],
    ] as const) {
      const err = await refusal({ servers: nats.url, auth: { credsFile: file } });
      assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, err.message);
      assert.match(err.message, words);
      assert.ok(!err.message.includes(made.seed), 'the seed is a secret');
    }
  });
});

interface Said {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A NATS driver signed in with `file`, its logger's lines kept in `said` (and told to `heard`). */
async function credsDriver(url: string, file: string): Promise<{ driver: Driver; said: Said[]; heard: Set<() => void> }> {
  const said: Said[] = [];
  const heard = new Set<() => void>();
  const line = (level: string) => (fields: object, msg = ''): void => {
    said.push({ level, msg, fields: fields as Record<string, unknown> });
    for (const h of heard) h();
  };
  const logger: DriverLogger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  const driver = await createDriver('nats', { urls: [url], auth: { credsFile: file }, logger, connectTimeoutMs: 3000 });
  await driver.connect();
  return { driver, said, heard };
}

/**
 * Resolves at the driver's next 'connected' after a 'reconnecting'; rejects once the server has
 * refused a reconnect twice over (the same credentials sent again: the next attempts would be too).
 */
function reconnected({ driver, heard, said }: { driver: Driver; said: Said[]; heard: Set<() => void> }): Promise<void> {
  return new Promise((resolve, reject) => {
    let away = false;
    let refusal: Error | undefined;
    const settle = (err?: Error): void => {
      off();
      heard.delete(onLog);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onLog = (): void => {
      if (refusal !== undefined && said.at(-1)?.msg === 'reconnect refused again') settle(new Error(`reconnect refused again: ${refusal.message}`));
    };
    heard.add(onLog);
    const off = driver.on((e) => {
      if (e.type === 'status' && e.status === 'reconnecting') away = true;
      else if (e.type === 'status' && e.status === 'connected' && away) settle();
      else if (e.type === 'error' && away && /cannot reconnect/.test(e.error.message)) refusal = e.error;
    });
  });
}

void describe('a rotated .creds file (nsc, Synadia Cloud re-issue user JWTs): read again at each reconnect', () => {
  let nats: NatsServerHandle;
  let dir: TempDir;
  before(async () => {
    dir = processTempDir('fsbus-creds-rotate-');
    nats = await startNatsServer({ operator: made.server });
  });
  after(async () => {
    await nats?.stop();
    dir?.remove();
  });

  void it('once the JWT signed in with expires, the reconnect signs in with the one the file now holds', async () => {
    const file = join(dir.dir, 'expiring.creds');
    // Seconds to live: ample to connect with it on a loaded machine (it is used at once); the
    // server drops the connection when it expires.
    writeFileSync(file, made.issue(8), { mode: 0o600 });
    const d = await credsDriver(nats.url, file);
    try {
      const back = reconnected(d);
      writeFileSync(file, made.issue(3600), { mode: 0o600 });
      await back;
      assert.equal(d.driver.status, 'connected');
      assert.ok(d.driver.stats().reconnects >= 1);
    } finally {
      await d.driver.close();
    }
  });

  void it('a file unreadable or malformed at a reconnect (mid-rotation): the last good one signs in, a warning once per problem, its content unquoted', async () => {
    const file = join(dir.dir, 'rotating.creds');
    writeFileSync(file, made.creds, { mode: 0o600 });
    const d = await credsDriver(nats.url, file);
    const warnings = (): Said[] => d.said.filter((s) => s.level === 'warn' && 'creds_file' in s.fields);
    const restart = async (): Promise<void> => {
      const back = reconnected(d);
      await nats.restart();
      await back;
    };
    try {
      // Half written: the JWT block only.
      writeFileSync(file, made.creds.slice(0, made.creds.indexOf('*')));
      await restart();
      await restart();
      rmSync(file);
      await restart();
      assert.deepEqual(
        warnings().map((w) => [w.fields['creds_file'], w.fields['problem']]),
        [
          [file, 'no "BEGIN NATS USER JWT" and "BEGIN USER NKEY SEED" blocks (a .creds file as `nsc generate creds` writes it)'],
          [file, 'cannot read it (ENOENT)'],
        ],
      );
      assert.match(warnings()[0]!.msg, /last good/);
      assert.ok(!JSON.stringify(d.said).includes(made.seed.slice(2, 20)), 'the seed is a secret');
      const jwt = /JWT-----\n(.+)\n/.exec(made.creds)![1]!;
      assert.ok(!JSON.stringify(d.said).includes(jwt.slice(-20)), 'nor is the JWT quoted');
      assert.equal(d.driver.status, 'connected');
    } finally {
      await d.driver.close();
    }
  });
});
