// A TLS file option (`tls.caFile`, `tls.certFile`, `tls.keyFile`) that does not exist or cannot be
// read is refused when the driver is created, typed and naming the option and the path: before,
// it surfaced at connect as a raw ENOENT from deep inside the driver (or, on NATS and AMQP, as a
// connect error that reads like a network fault).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificate } from '@fsbus/testkit';
import { createDriver, pemCertificatesProblem, TransportError, TransportErrorCode, type TlsOptions } from '@fsbus/transport';

const URLS: Record<string, string> = {
  nats: 'tls://127.0.0.1:4222',
  amqp: 'amqps://127.0.0.1:5671',
  redis: 'rediss://127.0.0.1:6380',
  mqtt: 'mqtts://127.0.0.1:8883',
  kafka: 'kafka+ssl://127.0.0.1:9093',
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fsbus-tls-files-'));
});
after(() => rm(dir, { recursive: true, force: true }));

for (const driver of Object.keys(URLS)) {
  void test(`${driver}: a missing or unreadable TLS file is refused at createDriver, naming the option and the path`, async () => {
    const missing = join(dir, 'missing-ca.pem');
    // A directory: it exists, but is no file to read (EISDIR).
    const cases: Array<[option: keyof TlsOptions, tls: TlsOptions, path: string]> = [
      ['caFile', { caFile: missing }, missing],
      ['certFile', { certFile: dir, keyFile: missing }, dir],
      ['keyFile', { keyFile: missing }, missing],
    ];
    for (const [option, tls, path] of cases) {
      await assert.rejects(createDriver(driver, { urls: [URLS[driver]!], tls, connectTimeoutMs: 1000 }), (err: unknown) => {
        assert.ok(err instanceof TransportError, `${option}: ${String(err)}`);
        assert.equal(err.code, TransportErrorCode.INVALID_OPTION);
        assert.ok(err.message.includes(`tls.${option}`), err.message);
        assert.ok(err.message.includes(path), err.message);
        return true;
      });
    }
  });
}

// Node's TLS skips what it cannot parse in a CA list: a CA file holding no certificate loaded and
// every connect then failed as "self-signed certificate", blaming the broker instead of the file.
void test('a CA or certificate file holding no readable PEM certificate is refused at createDriver, naming the option and the path', async () => {
  const real = await makeTestCertificate();
  try {
    const keyOnly = real.keyFile;
    const truncated = join(dir, 'truncated.pem');
    await writeFile(truncated, '-----BEGIN CERTIFICATE-----\nMIIB\n');
    const garbled = join(dir, 'garbled.pem');
    const pem = await readFile(real.certFile, 'utf8');
    await writeFile(garbled, `${pem}-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n`);
    const cases: Array<[option: keyof TlsOptions, tls: TlsOptions, path: string, why: RegExp]> = [
      ['caFile', { caFile: keyOnly }, keyOnly, /holds no PEM certificate/],
      ['caFile', { caFile: truncated }, truncated, /holds no PEM certificate/],
      ['caFile', { caFile: garbled }, garbled, /cannot be read \(the 2nd of 2\)/],
      ['certFile', { certFile: keyOnly, keyFile: keyOnly }, keyOnly, /holds no PEM certificate/],
    ];
    for (const driver of Object.keys(URLS)) {
      for (const [option, tls, path, why] of cases) {
        await assert.rejects(createDriver(driver, { urls: [URLS[driver]!], tls, connectTimeoutMs: 1000 }), (err: unknown) => {
          assert.ok(err instanceof TransportError, `${driver} ${option}: ${String(err)}`);
          assert.equal(err.code, TransportErrorCode.INVALID_OPTION);
          assert.ok(err.message.includes(`tls.${option}: ${path} `), err.message);
          assert.match(err.message, why);
          return true;
        });
      }
    }
    assert.equal(pemCertificatesProblem(pem), undefined);
    assert.equal(pemCertificatesProblem(pem + pem), undefined);
  } finally {
    await real.remove();
  }
});
