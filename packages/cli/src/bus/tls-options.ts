/**
 * Broker TLS for the bus commands: the CA and client certificate from `--tls-ca`, `--tls-cert`,
 * `--tls-key` or the agent's variables (FSBUS_BROKER_TLS_CA/_CERT/_KEY, the flag first), the files
 * checked before connecting; and the hint for a broker certificate the CLI could not verify.
 */
import { readFileSync } from 'node:fs';
import { pemCertificatesProblem, tlsVerifyFailure, type TlsOptions } from '@fsbus/transport';

export const TLS_OPTIONS = {
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

export const TLS_OPTIONS_HELP = `  --tls-ca <file>      the CA that signed the broker's certificate, PEM (env
                       FSBUS_BROKER_TLS_CA; default: the system's CAs)
  --tls-cert <file>    client certificate, PEM, for a broker that requires one (env
                       FSBUS_BROKER_TLS_CERT)
  --tls-key <file>     its private key, PEM (env FSBUS_BROKER_TLS_KEY)`;

/** Where each file came from: the flag or the variable, for messages and hints. */
export interface BrokerTls {
  options: TlsOptions;
  caFrom?: string;
}

/** Thrown for a bad TLS setting; global-options.ts turns it into its UsageError. */
export class TlsSettingError extends Error {}

const SETTINGS = [
  { flag: 'tls-ca', env: 'FSBUS_BROKER_TLS_CA', option: 'caFile', pem: true },
  { flag: 'tls-cert', env: 'FSBUS_BROKER_TLS_CERT', option: 'certFile', pem: true },
  { flag: 'tls-key', env: 'FSBUS_BROKER_TLS_KEY', option: 'keyFile', pem: false },
] as const;

/**
 * The TLS files given, each read now: one missing or unreadable, or a CA or certificate file with
 * no PEM certificate (Node would skip it and every connect fail as "self-signed"), is refused
 * naming the flag or variable — not found at connect as a broker problem. Undefined when none.
 */
export function brokerTls(values: Record<string, unknown>, env: NodeJS.ProcessEnv, driver: string): BrokerTls | undefined {
  const options: TlsOptions = {};
  const from: Partial<Record<'caFile' | 'certFile' | 'keyFile', string>> = {};
  for (const s of SETTINGS) {
    const flagged = values[s.flag];
    const fromEnv = env[s.env]?.trim();
    const file = typeof flagged === 'string' ? flagged : fromEnv === '' ? undefined : fromEnv;
    if (file === undefined) continue;
    const name = typeof flagged === 'string' ? `--${s.flag}` : s.env;
    // `--tls-ca "$UNSET"`: said as such, not as a file that cannot be read.
    if (file.trim() === '') throw new TlsSettingError(`${name} names no file`);
    // ZeroMQ encrypts with CURVE keys, not TLS: refused rather than ignored.
    if (driver.toLowerCase() === 'zmq') throw new TlsSettingError(`${name}: the zmq driver has no TLS (ZeroMQ uses CURVE keys)`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new TlsSettingError(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const problem = s.pem ? pemCertificatesProblem(text) : undefined;
    if (problem !== undefined) throw new TlsSettingError(`${name}: ${file} ${problem}`);
    options[s.option] = file;
    from[s.option] = name;
  }
  // One without the other fails at connect as a TLS error that names neither.
  if ((from.certFile === undefined) !== (from.keyFile === undefined)) {
    const [given, missing] = from.certFile !== undefined ? [from.certFile, '--tls-key or FSBUS_BROKER_TLS_KEY'] : [from.keyFile!, '--tls-cert or FSBUS_BROKER_TLS_CERT'];
    throw new TlsSettingError(`${given} needs ${from.certFile !== undefined ? 'a key' : 'a certificate'}: ${missing}`);
  }
  if (Object.keys(options).length === 0) return undefined;
  return { options, ...(from.caFile === undefined ? {} : { caFrom: from.caFile }) };
}

/**
 * The hint for a connect that failed verifying the broker's certificate (a code along the cause
 * chain, as the agent's start failure reads it), naming the CA setting; undefined for any other failure.
 */
export function tlsVerifyHint(err: unknown, tls: BrokerTls | undefined, driver: string): string | undefined {
  const failure = tlsVerifyFailure(err);
  if (failure === 'untrusted') {
    const ca = tls?.options.caFile;
    if (ca === undefined) {
      return "the broker's TLS certificate could not be verified with this host's trusted CAs (self-signed, or a private CA?): give the PEM certificate of the CA that signed it with --tls-ca or FSBUS_BROKER_TLS_CA";
    }
    return `the broker's TLS certificate could not be verified with the CA in ${ca} (${tls?.caFrom ?? '--tls-ca'}): it must hold the PEM certificate of the CA that signed the broker's`;
  }
  if (failure === 'name-mismatch') {
    // nats.js gives no server name for an IP address URL: Node then checks the certificate against 'localhost'.
    const nats = driver.toLowerCase() === 'nats' ? '; nats.js checks a URL by IP address against "localhost", so a certificate with only IP SANs is refused: name the broker by a DNS name' : '';
    return `the broker's TLS certificate does not name the host of the broker URL: use a URL naming a host the certificate lists as a DNS name (subjectAltName)${nats}`;
  }
  return undefined;
}
