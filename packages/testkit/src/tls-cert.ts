/** A throwaway self-signed certificate for 127.0.0.1/localhost (openssl CLI), for TLS tests. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { processTempDir } from './temp-dir.js';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** Removes the files (else removed when the process ends). */
  remove(): Promise<void>;
}

export async function makeTestCertificate(): Promise<TestCertificate> {
  const temp = processTempDir('fsbus-tls-');
  const certFile = join(temp.dir, 'cert.pem');
  const keyFile = join(temp.dir, 'key.pem');
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
  } catch (err) {
    temp.remove();
    throw err;
  }
  return { certFile, keyFile, remove: () => Promise.resolve(temp.remove()) };
}
