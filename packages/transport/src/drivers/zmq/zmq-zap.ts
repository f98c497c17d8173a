/**
 * Client authentication for CURVE servers: libzmq asks the ZAP handler bound at
 * `inproc://zeromq.zap.01` (RFC 27/ZAP) about every CURVE handshake, and refuses the peer unless
 * the answer is 200. There is one such endpoint per ZeroMQ context, so one handler serves every
 * server of the process: each server that has an allow-list takes a ZAP domain of its own and
 * registers its client keys under it. Handshakes of any other domain (servers without a list)
 * are admitted, as they were before a handler existed.
 */
import { Reply } from 'zeromq';
import type { DriverLogger } from '../../driver.js';
import { z85Encode } from './z85.js';

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
const ZAP_VERSION = '1.0';

interface Registration {
  /** Hex of the 32-byte public keys admitted. */
  keys: ReadonlySet<string>;
  logger: DriverLogger | undefined;
  refused: number;
}

const domains = new Map<string, Registration>();
let handler: { socket: Reply; bound: Promise<void> } | undefined;
let nextDomain = 0;

export interface ZapAdmission {
  /** The ZAP domain to set on the server's sockets. */
  domain: string;
  /** Resolves once the handler listens; the server binds only after it (else libzmq, finding no handler, would admit anyone). */
  ready: Promise<void>;
  readonly registration: { readonly refused: number };
  release(): void;
}

/** Registers an allow-list with the process's ZAP handler (started on first use). */
export function admitOnly(keys: ReadonlySet<string>, logger?: DriverLogger): ZapAdmission {
  const domain = `fsbus-${process.pid}-${++nextDomain}`;
  const registration: Registration = { keys, logger, refused: 0 };
  domains.set(domain, registration);
  handler ??= startHandler();
  return {
    domain,
    ready: handler.bound,
    registration,
    release: () => {
      if (!domains.delete(domain) || domains.size > 0) return;
      // The last list is gone: a pending receive would keep the process alive.
      handler?.socket.close();
      handler = undefined;
    },
  };
}

function startHandler(): { socket: Reply; bound: Promise<void> } {
  const socket = new Reply({ linger: 0 });
  const bound = socket.bind(ZAP_ENDPOINT).then(() => void serve(socket));
  // Reported by every server awaiting `ready`; here the next registration is given a fresh try.
  bound.catch(() => {
    if (handler?.socket === socket) handler = undefined;
    socket.close();
  });
  return { socket, bound };
}

async function serve(socket: Reply): Promise<void> {
  try {
    for await (const frames of socket) {
      await socket.send(answer(frames));
    }
  } catch (err) {
    // Closed while waiting (the last allow-list went away): nothing is lost, nobody is waiting.
    if (!socket.closed) for (const r of domains.values()) r.logger?.error({ err }, 'zmq: the ZAP handler stopped');
  }
}

/** RFC 27 request: version, request id, domain, address, identity, mechanism, credentials… */
function answer(frames: Buffer[]): Buffer[] {
  const [version, requestId = Buffer.alloc(0), domainFrame, address, , mechanism, key] = frames;
  const reply = (code: '200' | '400', text: string) => [Buffer.from(ZAP_VERSION), requestId, Buffer.from(code), Buffer.from(text), Buffer.alloc(0), Buffer.alloc(0)];
  if (version?.toString() !== ZAP_VERSION) return reply('400', 'unsupported ZAP version');
  const registration = domains.get(domainFrame?.toString() ?? '');
  if (registration === undefined) return reply('200', 'OK');
  if (mechanism?.toString() === 'CURVE' && key !== undefined && registration.keys.has(key.toString('hex'))) return reply('200', 'OK');
  registration.refused++;
  registration.logger?.warn(
    { address: address?.toString(), mechanism: mechanism?.toString(), client_key: key?.length === 32 ? z85Encode(key) : undefined },
    'zmq: client key not in curve.clientKeys: connection refused',
  );
  return reply('400', 'client key not admitted');
}
