/**
 * A throwaway ZeroMQ CURVE key pair for tests (as makeTestCertificate is for TLS): an X25519 key
 * pair from node's crypto, in Z85 as libzmq reads keys. CURVE keys are plain X25519 keys, so
 * tests need no zeromq import of their own.
 */
import { generateKeyPairSync } from 'node:crypto';
import { z85Encode } from '@fsbus/transport';

/** Z85 as libzmq reads keys: the transport's codec, re-exported for tests. */
export { z85Encode };

export interface CurveTestKeys {
  publicKey: string;
  secretKey: string;
}

export function makeCurveKeys(): CurveTestKeys {
  const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  return { publicKey: z85Encode(Buffer.from(jwk.x!, 'base64url')), secretKey: z85Encode(Buffer.from(jwk.d!, 'base64url')) };
}
