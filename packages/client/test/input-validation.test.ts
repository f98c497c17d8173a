// Arguments of the wrong type or size are refused with FSBUS_ERR_CLIENT_INVALID_ARGUMENT before
// anything is sent (never a bare TypeError, never a CONNECT/STREAM error for the caller's value):
// an event pattern, durable or stream name long enough to pass nats-server's 4 KiB protocol line
// would make the server drop the shared connection on every re-subscribe, for ever. No broker is
// needed: the client's driver is never connected, and nothing here may reach it.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createDriver, type Driver } from '@fsbus/transport';
import { ClientError, ClientErrorCode, connect, FsbusClient, MAX_EVENT_SUBJECT_BYTES, MAX_STREAM_NAME_BYTES, type EventPattern, type ExecuteAppOptions, type OriginateOptions } from '../src/index.js';

/** Nothing listens there: a call that got past validation would fail another way. */
const NOWHERE = 'nats://127.0.0.1:1';

function isInvalid(message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ClientError, `a ClientError, not ${String(err)}`);
    assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, err.message);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  };
}

// From plain JavaScript: the types say no, the values come anyway.
const loose = <T>(value: unknown): T => value as T;
/** A pattern built at run time (the type only knows literal event names and subjects). */
const pattern = (text: string): EventPattern => text as EventPattern;

void describe('@fsbus/client: argument types and bounds', () => {
  let driver: Driver;
  let bus: FsbusClient;
  before(async () => {
    driver = await createDriver('nats', { urls: [NOWHERE], name: 'never-connected' });
    bus = new FsbusClient(driver);
  });
  after(async () => {
    await bus.close();
    await driver.close();
  });

  void it('events(): a pattern whose subject is over MAX_EVENT_SUBJECT_BYTES', () => {
    assert.equal(MAX_EVENT_SUBJECT_BYTES, 1024);
    assert.throws(() => bus.events(pattern('channel.' + 'x'.repeat(5000))), isInvalid(/at most 1024/));
    assert.throws(() => bus.events(['channel.>', pattern('custom.' + 'y'.repeat(1100))]), isInvalid(/at most 1024/));
    // Multi-byte characters count as bytes: 400 × 3 bytes.
    assert.throws(() => bus.events(pattern('custom.' + '€'.repeat(400))), isInvalid(/bytes/));
    assert.throws(() => bus.node('n1').events(pattern('channel.' + 'x'.repeat(5000))), isInvalid());
  });

  void it('events(): durable and stream names over MAX_STREAM_NAME_BYTES or with characters JetStream refuses', () => {
    assert.equal(MAX_STREAM_NAME_BYTES, 255);
    assert.throws(() => bus.events('>', { durable: 'd'.repeat(5000) }), isInvalid(/durable must be at most 255 bytes/));
    assert.throws(() => bus.events('>', { stream: 'S'.repeat(5000) }), isInvalid(/stream must be at most 255 bytes/));
    assert.throws(() => bus.events('>', { from: 'all', stream: 'S'.repeat(256) }), isInvalid(/stream/));
    for (const bad of ['a.b', 'a b', 'a*', 'a>', 'a/b', 'a\\b', 'a\nb', '']) {
      assert.throws(() => bus.events('>', { durable: bad }), isInvalid(/durable/), JSON.stringify(bad));
      assert.throws(() => bus.events('>', { stream: bad }), isInvalid(/stream/), JSON.stringify(bad));
    }
    assert.throws(() => bus.events('>', { durable: loose<string>(7) }), isInvalid(/durable must be a non-empty string/));
  });

  void it('events(): patterns that are not strings', () => {
    assert.throws(() => bus.events(loose<EventPattern>(123)), isInvalid(/pattern must be a string or a list of strings/));
    assert.throws(() => bus.events(loose<EventPattern[]>(['a', 1])), isInvalid(/pattern\[1\] must be a string/));
    assert.throws(() => bus.events(loose<EventPattern>(null)), isInvalid(/pattern/));
    assert.throws(() => bus.events(loose<EventPattern>(undefined)), isInvalid(/pattern/));
    assert.throws(() => bus.events('>', loose<object>(null)), isInvalid(/options must be an object/));
  });

  void it('events(): from that is no replay position, a signal that is no AbortSignal', () => {
    assert.throws(() => bus.events('>', { from: loose<'all'>('yesterday') }), isInvalid(/from must be/));
    assert.throws(() => bus.events('>', { from: { sequence: -1 } }), isInvalid(/from\.sequence must be a whole number >= 1/));
    assert.throws(() => bus.events('>', { from: { sequence: 1.5 } }), isInvalid(/from\.sequence/));
    assert.throws(() => bus.events('>', { from: { time: new Date(Number.NaN) } }), isInvalid(/from\.time must be a valid Date/));
    assert.throws(() => bus.events('>', { from: loose<'all'>({ time: 'yesterday' }) }), isInvalid(/from\.time/));
    assert.throws(() => bus.events('>', { signal: loose<AbortSignal>({}) }), isInvalid(/signal must be an AbortSignal/));
  });

  void it('commands: options that are not objects, a signal that is no AbortSignal', async () => {
    await assert.rejects(bus.originate(loose<OriginateOptions>(undefined)), isInvalid(/originate: options must be an object/));
    await assert.rejects(bus.executeApp(loose<ExecuteAppOptions>(undefined)), isInvalid(/executeApp: options must be an object/));
    await assert.rejects(bus.executeApp(loose<ExecuteAppOptions>(null)), isInvalid(/executeApp: options must be an object/));
    const signal = loose<AbortSignal>({});
    await assert.rejects(bus.api('status', undefined, { signal }), isInvalid(/signal must be an AbortSignal/));
    await assert.rejects(bus.originate({ endpoint: 'user/1000', extension: '&park()' }, { signal }), isInvalid(/signal must be an AbortSignal/));
    await assert.rejects(bus.executeApp({ uuid: 'u', app: 'answer', waitForComplete: true }, { signal }), isInvalid(/signal must be an AbortSignal/));
    await assert.rejects(bus.gather('agent.status', { signal }), isInvalid(/signal must be an AbortSignal/));
    await assert.rejects(bus.status({ signal }), isInvalid(/signal must be an AbortSignal/));
  });
});

void describe('@fsbus/client: connect() option types', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', null, /connect: options must be an object/],
    ['a string', 'nats://x', /connect: options must be an object/],
    ['servers: 123', { servers: 123 }, /connect: servers must be a string or a list of strings/],
    ['servers: [1]', { servers: [1] }, /connect: servers\[0\] must be a string/],
    ['url: {}', { url: {} }, /connect: url must be a string or a list of strings/],
    ['prefix: 123', { servers: NOWHERE, prefix: 123 }, /connect: prefix must be a string/],
    // As the agent's config refuses them: cut or with an empty token, no agent would serve it.
    ['prefix: "fs."', { servers: NOWHERE, prefix: 'fs.' }, /connect: prefix "fs\." must be dot-separated non-empty tokens/],
    ['prefix: "a..b"', { servers: NOWHERE, prefix: 'a..b' }, /connect: prefix "a\.\.b" must be dot-separated/],
    ['prefix: 65 chars', { servers: NOWHERE, prefix: 'p'.repeat(65) }, /connect: prefix "p+…" must be at most 64 characters, got 65/],
    ['name: 1', { servers: NOWHERE, name: 1 }, /connect: name must be a string/],
    ['connectTimeoutMs: -1', { servers: NOWHERE, connectTimeoutMs: -1 }, /connect: connectTimeoutMs must be a number of milliseconds/],
    ['connectTimeoutMs: NaN', { servers: NOWHERE, connectTimeoutMs: Number.NaN }, /connectTimeoutMs/],
    ['connectTimeoutMs: "5"', { servers: NOWHERE, connectTimeoutMs: '5' }, /connectTimeoutMs/],
    ['timeoutMs: 0', { servers: NOWHERE, timeoutMs: 0 }, /connect: timeoutMs/],
    ['driver: 5', { servers: NOWHERE, driver: 5 }, /connect: driver must be a driver name or a Driver/],
  ];
  for (const [what, options, message] of cases) {
    void it(`connect(${what}) is refused naming the option`, async () => {
      await assert.rejects(connect(loose<Parameters<typeof connect>[0]>(options)), isInvalid(message));
    });
  }
});
