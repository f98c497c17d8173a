/** TlsOptions → the PEM strings node's `tls.connect` takes (inline PEM wins over its file). */
import { readFileSync } from 'node:fs';
import type { TlsOptions } from './driver.js';

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

export function readTlsMaterial(t: TlsOptions): TlsMaterial {
  const read = (inline: string | undefined, file: string | undefined): string | undefined => inline ?? (file === undefined ? undefined : readFileSync(file, 'utf8'));
  const out: TlsMaterial = {};
  const ca = read(t.ca, t.caFile);
  const cert = read(t.cert, t.certFile);
  const key = read(t.key, t.keyFile);
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  return out;
}
