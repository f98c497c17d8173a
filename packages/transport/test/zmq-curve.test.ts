/**
 * ZeroMQ CURVE: an agent-side driver with a secret key serves only encrypted peers; a client
 * that trusts its public key gets replies and events; a plain client, or one trusting another
 * key, never completes the handshake and gets a typed error instead of a reply.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort, makeCurveKeys, z85Encode } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type CurveKeys, type Driver } from '@fsbus/transport';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function withServer(fn: (url: string, serverKey: string, server: Driver) => Promise<void>): Promise<void> {
  const keys = makeCurveKeys();
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
  const server = await createDriver('zmq', { urls: [url], curve: { publicKey: keys.publicKey, secretKey: keys.secretKey } });
  await server.connect();
  const lane = server.serve({ subject: 'curve.api', competing: true }, (req) => enc(`sealed:${dec(req.data)}`));
  try {
    await server.flush();
    await fn(url, keys.publicKey, server);
  } finally {
    await lane.unsubscribe();
    await server.close();
  }
}

/** `connectTimeoutMs` also bounds flush()'s wait for the subscriptions to reach the publisher. */
async function client(url: string, curve?: CurveKeys, connectTimeoutMs = 2000): Promise<Driver> {
  const d = await createDriver('zmq', { urls: [url], connectTimeoutMs, ...(curve === undefined ? {} : { curve }) });
  await d.connect();
  return d;
}

void test('zmq curve: a client trusting the server key gets replies; others get typed errors', async () => {
  await withServer(async (url, serverKey, server) => {
    // The CURVE handshake of the event socket can take seconds on a loaded machine: flush() waits
    // that long for the subscription to reach the publisher (2 s let one run publish too early,
    // and the wait below held the file to its limit).
    const trusted = await client(url, { serverKey }, 30_000);
    try {
      const reply = await trusted.request('curve.api', enc('status'), { timeoutMs: 10_000 });
      assert.equal(dec(reply.data), 'sealed:status');
      let arrived!: (subject: string) => void;
      const event = new Promise<string>((resolve, reject) => {
        arrived = resolve;
        setTimeout(() => reject(new Error('no event within 30 s of the flush')), 30_000).unref();
      });
      const sub = trusted.subscribe('curve.events.>', (m) => arrived(m.subject));
      await trusted.flush(); // the subscription reached the publisher
      server.publish('curve.events.heartbeat', enc('{}'));
      assert.equal(await event, 'curve.events.heartbeat');
      await sub.unsubscribe();
    } finally {
      await trusted.close();
    }
    for (const curve of [undefined, { serverKey: makeCurveKeys().publicKey }]) {
      const outsider = await client(url, curve);
      try {
        await assert.rejects(outsider.request('curve.api', enc('status'), { timeoutMs: 1500 }), (err: { code?: string }) =>
          err.code === TransportErrorCode.TIMEOUT || err.code === TransportErrorCode.NO_RESPONDERS,
        );
      } finally {
        await outsider.close();
      }
    }
  });
});

void test('testkit CURVE keys: Z85 per RFC 32 (its test vector), 40 characters per key', () => {
  assert.equal(z85Encode(Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld');
  const keys = makeCurveKeys();
  assert.equal(keys.publicKey.length, 40);
  assert.equal(keys.secretKey.length, 40);
});

void test('zmq curve: a key that is not 40 characters of Z85 is refused, typed', async () => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
  const d = await createDriver('zmq', { urls: [url], curve: { serverKey: 'too-short' } });
  try {
    await assert.rejects(
      (async () => {
        await d.connect();
        await d.request('curve.api', enc('x'), { timeoutMs: 500 });
      })(),
      { code: TransportErrorCode.CONNECT },
    );
  } finally {
    await d.close();
  }
});

void test('zmq curve clientKeys: only listed clients are served; refusals are counted; other servers unaffected', async () => {
  const serverKeys = makeCurveKeys();
  const admitted = makeCurveKeys();
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
  const warned: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const quiet = (): void => undefined;
  const logger = { debug: quiet, info: quiet, error: quiet, warn: (obj: object, msg = '') => void warned.push({ obj: obj as Record<string, unknown>, msg }) };
  const server = await createDriver('zmq', { urls: [url], curve: { ...serverKeys, clientKeys: [admitted.publicKey] }, logger });
  await server.connect();
  const lane = server.serve({ subject: 'curve.api', competing: true }, (req) => enc(`sealed:${dec(req.data)}`));
  try {
    await server.flush();
    // A server without a list in the same process: the ZAP handler now running must not refuse its clients.
    await withServer(async (openUrl, openKey) => {
      const anyone = await client(openUrl, { serverKey: openKey });
      try {
        assert.equal(dec((await anyone.request('curve.api', enc('open'), { timeoutMs: 10_000 })).data), 'sealed:open');
      } finally {
        await anyone.close();
      }
    });
    const listed = await client(url, { serverKey: serverKeys.publicKey, publicKey: admitted.publicKey, secretKey: admitted.secretKey }, 30_000);
    try {
      assert.equal(dec((await listed.request('curve.api', enc('status'), { timeoutMs: 10_000 })).data), 'sealed:status');
      let arrived!: (subject: string) => void;
      const event = new Promise<string>((resolve, reject) => {
        arrived = resolve;
        setTimeout(() => reject(new Error('no event within 30 s of the flush')), 30_000).unref();
      });
      const sub = listed.subscribe('curve.events.>', (m) => arrived(m.subject));
      await listed.flush();
      server.publish('curve.events.heartbeat', enc('{}'));
      assert.equal(await event, 'curve.events.heartbeat');
      await sub.unsubscribe();
    } finally {
      await listed.close();
    }
    assert.equal(server.stats().refused, 0);
    // Holding the server key is not enough without a listed key pair (here a fresh one per socket).
    const stranger = await client(url, { serverKey: serverKeys.publicKey });
    try {
      await assert.rejects(stranger.request('curve.api', enc('status'), { timeoutMs: 1500 }), (err: { code?: string }) =>
        err.code === TransportErrorCode.TIMEOUT || err.code === TransportErrorCode.NO_RESPONDERS,
      );
    } finally {
      await stranger.close();
    }
    assert.ok((server.stats().refused ?? 0) >= 1, `refused: ${server.stats().refused}`);
    // The refused key in Z85 (what to paste into the list), under a snake_case field as every log line's.
    const refusals = warned.filter((w) => w.msg.includes('client key not in curve.clientKeys'));
    assert.ok(refusals.length >= 1, JSON.stringify(warned));
    const shown = refusals[0]!.obj['client_key'];
    assert.equal(typeof shown, 'string', JSON.stringify(refusals[0]!.obj));
    assert.equal((shown as string).length, 40);
    assert.notEqual(shown, admitted.publicKey);
  } finally {
    await lane.unsubscribe();
    await server.close();
  }
});

void test('zmq curve clientKeys: a bad key, or a list without the server secret, fails connect() typed', async () => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
  const keys = makeCurveKeys();
  for (const curve of [{ ...keys, clientKeys: ['not-z85'] }, { clientKeys: [keys.publicKey] }]) {
    const d = await createDriver('zmq', { urls: [url], curve });
    try {
      await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
    } finally {
      await d.close();
    }
  }
});
