/**
 * A throwaway ZeroMQ CURVE key pair for tests (as makeTestCertificate is for TLS): an X25519 key
 * pair from node's crypto, in Z85 as libzmq reads keys. CURVE keys are plain X25519 keys, so
 * tests need no zeromq import of their own.
 */
import { generateKeyPairSync } from 'node:crypto';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** ZeroMQ's Z85 (RFC 32/Z85): 4 bytes → 5 characters, big-endian. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new Error('Z85 encodes multiples of 4 bytes');
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    const chunk: string[] = [];
    for (let j = 0; j < 5; j++) {
      chunk.unshift(Z85[value % 85]!);
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

export interface CurveTestKeys {
  publicKey: string;
  secretKey: string;
}

export function makeCurveKeys(): CurveTestKeys {
  const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  return { publicKey: z85Encode(Buffer.from(jwk.x!, 'base64url')), secretKey: z85Encode(Buffer.from(jwk.d!, 'base64url')) };
}
