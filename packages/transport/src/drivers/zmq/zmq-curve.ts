/**
 * CURVE socket options from the driver's keys. A binding side with a secret key is a CURVE
 * server (with `clientKeys`, one that admits only those clients: see zmq-zap.ts); a connecting
 * side with the server's public key encrypts and accepts only that server. Without keys the
 * sockets stay plain, as before.
 */
import { curveKeyPair } from 'zeromq';
import type { CurveKeys } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { z85Decode } from './z85.js';

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

function checked(name: string, key: string): string {
  if (!Z85_KEY.test(key)) throw new TransportError(TransportErrorCode.CONNECT, `zmq: curve ${name} must be 40 characters of Z85`);
  return key;
}

export interface ServerCurve {
  /** Options of the ROUTER and PUB sockets. */
  sockets: { curveServer?: boolean; curveSecretKey?: string };
  /** Hex of the client public keys admitted; undefined admits any client holding the server key. */
  clientKeys?: ReadonlySet<string>;
}

export interface ClientCurve {
  curveServerKey?: string;
  curvePublicKey?: string;
  curveSecretKey?: string;
}

export function serverCurve(keys: CurveKeys | undefined): ServerCurve {
  if (keys?.secretKey === undefined) {
    if (keys?.clientKeys !== undefined) throw new TransportError(TransportErrorCode.CONNECT, 'zmq: curve clientKeys need the server secret key (curve.secretKey)');
    return { sockets: {} };
  }
  const sockets = { curveServer: true, curveSecretKey: checked('secretKey', keys.secretKey) };
  if (keys.clientKeys === undefined) return { sockets };
  const clientKeys = new Set(keys.clientKeys.map((k, i) => z85Decode(checked(`clientKeys[${i}]`, k)).toString('hex')));
  return { sockets, clientKeys };
}

export function clientCurve(keys: CurveKeys | undefined): ClientCurve {
  if (keys?.serverKey === undefined) return {};
  const own = keys.publicKey !== undefined && keys.secretKey !== undefined ? { publicKey: keys.publicKey, secretKey: keys.secretKey } : curveKeyPair();
  return {
    curveServerKey: checked('serverKey', keys.serverKey),
    curvePublicKey: checked('publicKey', own.publicKey),
    curveSecretKey: checked('secretKey', own.secretKey),
  };
}

/** Every key given, checked up front, so that connect() and not a later request reports a bad one. */
export function checkCurve(keys: CurveKeys | undefined): void {
  if (keys === undefined) return;
  serverCurve(keys); // the secret key and the client keys
  for (const name of ['serverKey', 'publicKey'] as const) {
    const key = keys[name];
    if (key !== undefined) checked(name, key);
  }
}
