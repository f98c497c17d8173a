/** TlsOptions → the PEM strings node's `tls.connect` takes (inline PEM wins over its file). */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DriverOptions, TlsOptions } from './driver.js';
import { TransportError, TransportErrorCode } from './errors.js';

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

const TLS_FILE_OPTIONS = ['caFile', 'certFile', 'keyFile'] as const;

export function readTlsMaterial(t: TlsOptions): TlsMaterial {
  // Checked when the driver was created (assertTlsFilesReadable): read here at every connect, not parsed again.
  const read = (inline: string | undefined, option: (typeof TLS_FILE_OPTIONS)[number]): string | undefined => inline ?? readTlsFile(option, t[option], false);
  const out: TlsMaterial = {};
  const ca = read(t.ca, 'caFile');
  const cert = read(t.cert, 'certFile');
  const key = read(t.key, 'keyFile');
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  return out;
}

/**
 * Reads every TLS file the options name, when the driver is created: one missing or unreadable
 * is refused then, naming the option and the path, not found at connect as a bare ENOENT (nor, on
 * NATS, whose client reads the files itself at each connect, as a connect error).
 */
export function assertTlsFilesReadable(tls: DriverOptions['tls']): void {
  if (typeof tls !== 'object') return;
  for (const option of TLS_FILE_OPTIONS) readTlsFile(option, tls[option]);
}

/** `check`: a CA or certificate file must hold PEM certificates (pemCertificatesProblem). */
function readTlsFile(option: (typeof TLS_FILE_OPTIONS)[number], path: string | undefined, check = true): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new TransportError(TransportErrorCode.INVALID_OPTION, `tls.${option}: cannot read ${path} (${why})`, { cause: err });
  }
  const problem = !check || option === 'keyFile' ? undefined : pemCertificatesProblem(text);
  if (problem !== undefined) throw new TransportError(TransportErrorCode.INVALID_OPTION, `tls.${option}: ${path} ${problem}`);
  return text;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g;

/**
 * Why `text` (a CA or certificate file's contents) is not one or more PEM certificates, or
 * undefined. Node's TLS ignores what it cannot parse in a CA list: a CA file holding no
 * certificate (a key, a DER file, a truncated copy) would load and then fail every connect as
 * "self-signed certificate", pointing at the broker instead of the file.
 */
export function pemCertificatesProblem(text: string): string | undefined {
  const blocks = text.match(PEM_CERTIFICATE);
  if (blocks === null) return 'holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `holds a PEM certificate that cannot be read (the ${ordinal(i + 1)} of ${blocks.length})`;
    }
  }
  return undefined;
}

function ordinal(n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}

/**
 * Node's TLS verification failures about who signed the broker's certificate (OpenSSL's
 * X509_V_ERR_* names): the CA given, or this host's, does not vouch for it. An expired or not yet
 * valid certificate is left out: a renewal on the broker or this host's clock fixes it.
 */
const TLS_UNTRUSTED: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
]);
/** The certificate does not name the host the URL connects to. */
const TLS_NAME_MISMATCH: ReadonlySet<string> = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

/**
 * Why a connect failed verifying the broker's certificate, read along the error's cause chain
 * (drivers wrap the socket's error): `untrusted` (check the CA setting), `name-mismatch` (the
 * URL's host is not in the certificate), or undefined for any other failure.
 */
export function tlsVerifyFailure(err: unknown): 'untrusted' | 'name-mismatch' | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) continue;
    if (TLS_UNTRUSTED.has(code)) return 'untrusted';
    if (TLS_NAME_MISMATCH.has(code)) return 'name-mismatch';
  }
  return undefined;
}
