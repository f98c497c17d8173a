/**
 * One adapter per ESL client, all doing the same thing against the same switch: open
 * `connections` authenticated connections, then answer `call(worker, done)` with one `api
 * status` round trip (esl-lite has no `api`: its public `bgapi status` is used, as in the
 * issue's anchor, and compared with @fsbus/esl's own `bgapi`). Each checks the reply really is
 * `status` output.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { EslClient } from '@fsbus/esl';
import { RawEsl } from '../lib/raw-esl.js';
import type { Call } from '../lib/load.js';

export interface Opened {
  /** Worker `w` uses connection `w % connections`. */
  call: Call;
  close(): Promise<void>;
}

/** Where to connect: the simulator, or the FreeSWITCH of `--freeswitch`. */
export interface EslEndpoint {
  readonly host: string;
  readonly port: number;
  readonly password: string;
}

export interface EslPeer {
  readonly name: string;
  readonly version: string;
  /** What one round trip is (`api status`, `bgapi status`). */
  readonly operation: string;
  open(to: EslEndpoint, connections: number): Promise<Opened>;
}

const require = createRequire(import.meta.url);
const STATUS = /^UP /;

function versionOf(pkg: string): string {
  const entry = require.resolve(pkg);
  const marker = `/node_modules/${pkg}/`;
  return (JSON.parse(readFileSync(entry.slice(0, entry.lastIndexOf(marker) + marker.length) + 'package.json', 'utf8')) as { version: string }).version;
}

const fail = (what: string, got: unknown): Error => new Error(`${what}: unexpected reply ${JSON.stringify(got).slice(0, 100)}`);

// ------------------------------------------------------------------ raw socket

const API_STATUS = Buffer.from('api status\n\n');

export const rawPeer: EslPeer = {
  name: 'raw socket',
  version: '-',
  operation: 'api status',
  async open({ host, port, password }, connections) {
    const conns = await Promise.all(Array.from({ length: connections }, () => RawEsl.connect(host, port, password)));
    const check = (body: Buffer | undefined): boolean => body !== undefined && body.subarray(0, 3).toString('latin1') === 'UP ';
    return {
      call: (w, done) => conns[w % conns.length]!.api(API_STATUS, check, done),
      close: async () => void (await Promise.all(conns.map((c) => c.close()))),
    };
  },
};

// ------------------------------------------------------------------ @fsbus/esl

const OUR_ESL_VERSION = (JSON.parse(readFileSync(new URL('../../packages/esl/package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** @fsbus/esl clients answering `call` with `api status` or `bgapi status`. */
function fsbus(name: string, op: 'api' | 'bgapi'): EslPeer {
  return {
    name,
    version: OUR_ESL_VERSION,
    operation: `${op} status`,
    async open({ host, port, password }, connections) {
      const clients = Array.from({ length: connections }, () => new EslClient({ host, port, password, reconnect: false }));
      await Promise.all(clients.map((c) => c.connect()));
      const check = (body: string): Error | undefined => (STATUS.test(body) ? undefined : fail(`${op} status`, body));
      return {
        call: (w, done) => {
          const c = clients[w % clients.length]!;
          const answered = op === 'api' ? c.api('status') : c.bgapi('status').then((job) => job.body);
          answered.then(
            (body) => done(check(body)),
            (err: Error) => done(err),
          );
        },
        close: async () => void (await Promise.all(clients.map((c) => c.close()))),
      };
    },
  };
}

export const fsbusPeer: EslPeer = fsbus('@fsbus/esl', 'api');
/** Like for like with esl-lite, which only has `bgapi`. */
export const fsbusBgapiPeer: EslPeer = fsbus('@fsbus/esl bgapi', 'bgapi');

// ------------------------------------------------------------------ modesl

interface ModeslConnection {
  api(command: string, cb: (res: { getBody(): string }) => void): void;
  on(event: 'error', fn: (err: unknown) => void): void;
  disconnect(): void;
  /** Its inbound socket (a plain field; `socketDescriptor()` returns null for inbound connections). */
  socket: Socket | null;
}
type ModeslCtor = new (host: string, port: number, password: string, ready: () => void) => ModeslConnection;

/**
 * modesl as it ships leaves Nagle on (~40 ms a round trip against delayed ACKs: what its users
 * get); `noDelay` turns it off on the same connection, to compare the libraries rather than that.
 */
function modesl(name: string, noDelay: boolean): EslPeer {
  return {
    name,
    version: versionOf('modesl'),
    operation: 'api status',
    async open({ host, port, password }, connections) {
      const { Connection } = require('modesl') as { Connection: ModeslCtor };
      const conns = await Promise.all(
        Array.from(
          { length: connections },
          () =>
            new Promise<ModeslConnection>((resolve, reject) => {
              const c: ModeslConnection = new Connection(host, port, password, () => {
                if (noDelay) c.socket?.setNoDelay(true);
                resolve(c);
              });
              c.on('error', reject);
            }),
        ),
      );
      return {
        call: (w, done) => conns[w % conns.length]!.api('status', (res) => {
          const body = res.getBody();
          done(STATUS.test(body) ? undefined : fail('modesl api status', body));
        }),
        close: () => {
          for (const c of conns) c.disconnect();
          return Promise.resolve();
        },
      };
    },
  };
}

export const modeslPeer: EslPeer = modesl('modesl', false);
export const modeslNoDelayPeer: EslPeer = modesl('modesl + setNoDelay', true);

// ------------------------------------------------------------------ esl-lite

interface EslLiteClient {
  bgapi(command: string, timeout: number): Promise<{ body: { response?: unknown } } | Error>;
  end(): void;
}
type EslLiteCtor = new (options: { host: string; port: number; password: string; logger: unknown }) => EslLiteClient;

/** esl-lite wants a pino logger; a silent one (its warnings would cost it time). */
const silent: Record<string, unknown> = {};
for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) silent[level] = () => undefined;
silent['child'] = () => silent;

export const eslLitePeer: EslPeer = {
  name: 'esl-lite',
  version: versionOf('esl-lite'),
  operation: 'bgapi status',
  async open({ host, port, password }, connections) {
    const { FreeSwitchClient } = (await import('esl-lite')) as unknown as { FreeSwitchClient: EslLiteCtor };
    const clients = Array.from({ length: connections }, () => new FreeSwitchClient({ host, port, password, logger: silent }));
    const call = (w: number, done: (err?: Error) => void): void => {
      clients[w % clients.length]!.bgapi('status', 10_000).then(
        (res) => {
          if (res instanceof Error) return done(res);
          const text = res.body.response;
          done(typeof text === 'string' && STATUS.test(text) ? undefined : fail('esl-lite bgapi status', text));
        },
        (err: Error) => done(err),
      );
    };
    // esl-lite connects in the background; one round trip per connection proves it is up.
    await Promise.all(clients.map((_, w) => new Promise<void>((resolve, reject) => call(w, (err) => (err ? reject(err) : resolve())))));
    return {
      call,
      close: () => {
        for (const c of clients) c.end();
        return Promise.resolve();
      },
    };
  },
};

export const ESL_PEERS: readonly EslPeer[] = [rawPeer, fsbusPeer, fsbusBgapiPeer, modeslPeer, modeslNoDelayPeer, eslLitePeer];

/** The @fsbus/esl peer doing the same operation as `peer` (undefined for raw and for @fsbus/esl itself). */
export function fsbusSameOp(peer: EslPeer): EslPeer | undefined {
  if (peer === rawPeer || peer === fsbusPeer || peer === fsbusBgapiPeer) return undefined;
  return [fsbusPeer, fsbusBgapiPeer].find((f) => f.operation === peer.operation);
}
