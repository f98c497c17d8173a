/**
 * CURVE socket options from the driver's keys. A binding side with a secret key is a CURVE
 * server; a connecting side with the server's public key encrypts and accepts only that server.
 * Without keys the sockets stay plain, as before.
 */
import { curveKeyPair } from 'zeromq';
import type { CurveKeys } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

function checked(name: string, key: string): string {
  if (!Z85_KEY.test(key)) throw new TransportError(TransportErrorCode.CONNECT, `zmq: curve ${name} must be 40 characters of Z85`);
  return key;
}

export interface ServerCurve {
  curveServer?: boolean;
  curveSecretKey?: string;
}

export interface ClientCurve {
  curveServerKey?: string;
  curvePublicKey?: string;
  curveSecretKey?: string;
}

export function serverCurve(keys: CurveKeys | undefined): ServerCurve {
  if (keys?.secretKey === undefined) return {};
  return { curveServer: true, curveSecretKey: checked('secretKey', keys.secretKey) };
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
