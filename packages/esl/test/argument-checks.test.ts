// What a JavaScript caller (one porting a modesl app, say) passes wrong is refused at the public
// calls with EslInvalidArgumentError and a message that says what to pass, before anything is
// sent, against @fsbus/sim: a callback where the options go, a missing or non-string argument, a
// list of event names that is neither an array nor modesl's string form. modesl's string form of
// event names (`'ALL'`, `'CHANNEL_CREATE CHANNEL_ANSWER'`) is accepted.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslInvalidArgumentError, runsOnHungUpChannel, type EslClient, type EslEvent, type EslSession } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';
import { originated, withSim } from './support/sim-inbound.js';

const callback = (): void => undefined;

/** Calls `method` of `target` as JavaScript may: with any arguments. */
function jsCall(target: object, method: string, ...args: unknown[]): Promise<unknown> {
  const fn = (target as Record<string, unknown>)[method];
  assert.equal(typeof fn, 'function', method);
  return Reflect.apply(fn as (...a: unknown[]) => Promise<unknown>, target, args);
}

/** Each call rejects EslInvalidArgumentError matching its pattern, nothing is sent, and the endpoint goes on. */
async function refused(endpoint: EslClient | EslSession, cases: Array<[string, () => Promise<unknown>, RegExp]>): Promise<void> {
  for (const [what, call, message] of cases) {
    const sent = endpoint.stats.requests;
    let promise: Promise<unknown>;
    try {
      promise = call();
    } catch (err) {
      assert.fail(`${what} threw synchronously: ${String(err)}`);
    }
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(err instanceof EslInvalidArgumentError, `${what}: ${String(err)}`);
      assert.match(err.message, message, what);
      return true;
    });
    assert.equal(endpoint.stats.requests, sent, `${what} sent nothing`);
  }
}

const promises = /returns a promise/;

void test('client: callbacks, missing and mistyped arguments are refused with what to pass', async () => {
  await withSim(async (_sim, client) => {
    await refused(client, [
      ["api('status', cb)", () => jsCall(client, 'api', 'status', callback), promises],
      ['api()', () => jsCall(client, 'api'), /api: command must be a string, not undefined/],
      ["bgapi('status', cb)", () => jsCall(client, 'bgapi', 'status', callback), promises],
      ["bgapi('originate', 'loopback/7001 &park()') (modesl's args)", () => jsCall(client, 'bgapi', 'originate', 'loopback/7001 &park()'), /bgapi: options must be an object .*not a string/],
      ['bgapi with a numeric jobUuid', () => jsCall(client, 'bgapi', 'status', { jobUuid: 5 }), /bgapi: jobUuid must be a string or undefined, not a number/],
      ['sendRecv(null)', () => jsCall(client, 'sendRecv', null), /sendRecv: command must be a string, not null/],
      ["events('plain')", () => jsCall(client, 'events', 'plain'), /events: names must be an array of event names or one string of them separated by spaces/],
      ["events('plain', ['ALL', 5])", () => jsCall(client, 'events', 'plain', ['ALL', 5]), /events: an event name must be a string, not a number/],
      ["events(['ALL'])", () => jsCall(client, 'events', ['ALL']), /events: format must be a string/],
      ["events('plain', 'ALL', cb)", () => jsCall(client, 'events', 'plain', 'ALL', callback), promises],
      ['nixevent()', () => jsCall(client, 'nixevent'), /nixevent: names must be an array/],
      ['noevents(cb)', () => jsCall(client, 'noevents', callback), promises],
      ["filter('Event-Name')", () => jsCall(client, 'filter', 'Event-Name'), /filter: value must be a string, not undefined/],
      ["filter('Event-Name', 'X', cb)", () => jsCall(client, 'filter', 'Event-Name', 'X', callback), promises],
      ["filterDelete('Event-Name', cb)", () => jsCall(client, 'filterDelete', 'Event-Name', callback), promises],
      ['filterDelete()', () => jsCall(client, 'filterDelete'), /filterDelete: header must be a string, not undefined/],
      ["sendevent('CUSTOM')", () => jsCall(client, 'sendevent', 'CUSTOM'), /sendevent: event must be an EslEvent/],
      ["sendmsg('x')", () => jsCall(client, 'sendmsg', 'x'), /sendmsg: msg must be an object/],
      ["sendmsg('x', {})", () => jsCall(client, 'sendmsg', 'x', {}), /sendmsg: callCommand must be a string, not undefined/],
      ['sendmsg(5, { callCommand: hangup })', () => jsCall(client, 'sendmsg', 5, { callCommand: 'hangup' }), /sendmsg: uuid must be a string or undefined, not a number/],
      ["execute('answer')", () => jsCall(client, 'execute', 'answer'), /execute: app must be a string, not undefined .*execute\(uuid, app, arg\?, opts\?\)/],
      ["execute(uuid, 'playback', cb)", () => jsCall(client, 'execute', 'x', 'playback', callback), promises],
      ["execute(uuid, 'playback', 5)", () => jsCall(client, 'execute', 'x', 'playback', 5), /execute: arg must be a string or undefined, not a number/],
      ["execute(uuid, 'answer', undefined, cb)", () => jsCall(client, 'execute', 'x', 'answer', undefined, callback), promises],
      ["executeAsync('answer')", () => jsCall(client, 'executeAsync', 'answer'), /executeAsync: app must be a string/],
      ['execute with a numeric eventUuid', () => jsCall(client, 'execute', 'x', 'answer', undefined, { eventUuid: 7 }), /execute: eventUuid must be a string or undefined, not a number/],
      ['myevents(5)', () => jsCall(client, 'myevents', 5), /myevents: uuid must be a string or undefined, not a number/],
      ["divertEvents('off')", () => jsCall(client, 'divertEvents', 'off'), /divertEvents: on must be a boolean, not a string/],
      ["linger('x')", () => jsCall(client, 'linger', 'x'), /linger: seconds must be a number of 0 or more/],
      ['linger(-1)', () => jsCall(client, 'linger', -1), /linger: seconds must be a number of 0 or more/],
      ['log()', () => jsCall(client, 'log'), /log: level must be a number or a string, not undefined/],
      ['nolog(cb)', () => jsCall(client, 'nolog', callback), promises],
      ['getvar()', () => jsCall(client, 'getvar'), /getvar: name must be a string, not undefined/],
      ['resume(cb)', () => jsCall(client, 'resume', callback), promises],
      ['nolinger(cb)', () => jsCall(client, 'nolinger', callback), promises],
      ['exit(cb)', () => jsCall(client, 'exit', callback), promises],
    ]);
    assert.equal(client.status, 'ready');
    assert.equal(typeof (await client.api('status')), 'string');
  });
});

void test("events / nixevent take modesl's string form: 'ALL', or names separated by spaces", async () => {
  await withSim(async (_sim, client) => {
    const seen: string[] = [];
    client.on('event', (e: EslEvent) => void seen.push(e.name));
    assert.match((await client.events('plain', 'CHANNEL_CREATE  CHANNEL_ANSWER')).replyText, /^\+OK/);
    const created = new Promise<void>((resolve) => client.once('CHANNEL_CREATE', () => resolve()));
    originated(await client.api('originate loopback/7001 &park()'));
    await bounded(created, 'CHANNEL_CREATE');
    assert.ok(!seen.includes('CHANNEL_PARK'), 'only the names subscribed');
    await client.nixevent('CHANNEL_CREATE CHANNEL_ANSWER');
    assert.match((await client.events('json', 'ALL')).replyText, /^\+OK/);
    const parked = new Promise<void>((resolve) => client.once('CHANNEL_PARK', () => resolve()));
    originated(await client.api('originate loopback/7001 &park()'));
    await bounded(parked, 'CHANNEL_PARK under ALL');
    // A line break inside the string is still refused: it is no separator.
    await assert.rejects(client.events('plain', 'ALL\nexit'), EslInvalidArgumentError);
  });
});

void test('session helpers: mistyped arguments and callbacks are refused before anything is sent', async () => {
  await withDialplanSession('async full', async ({ session }) => {
    await refused(session, [
      ['answer(cb)', () => jsCall(session, 'answer', callback), promises],
      ['hangup(cb)', () => jsCall(session, 'hangup', callback), promises],
      ['hangup(16)', () => jsCall(session, 'hangup', 16), /hangup: cause must be a string, not a number/],
      ['playback()', () => jsCall(session, 'playback'), /playback: file must be a string, not undefined/],
      ['bridge()', () => jsCall(session, 'bridge'), /bridge: dialString must be a string, not undefined/],
      ["set('x')", () => jsCall(session, 'set', 'x'), /set: value must be a string, not undefined/],
      ["set(undefined, 'v')", () => jsCall(session, 'set', undefined, 'v'), /set: name must be a string, not undefined/],
      ['setMany()', () => jsCall(session, 'setMany'), /setMany: vars must be an object/],
      ['playAndGetDigits()', () => jsCall(session, 'playAndGetDigits'), /playAndGetDigits: options must be an object/],
      ['playAndGetDigits without file', () => jsCall(session, 'playAndGetDigits', { min: 1, max: 4 }), /playAndGetDigits: file must be a string, not undefined/],
      ['getVariable()', () => jsCall(session, 'getVariable'), /getvar: name must be a string, not undefined/],
      ['myevents(5)', () => jsCall(session, 'myevents', 5), /myevents: uuid must be a string or undefined/],
      ['close(cb)', () => jsCall(session, 'close', callback), promises],
    ]);
    assert.equal(session.closed, false, 'close(cb) did not close');
    await bounded(session.answer(), 'answer');
    await session.close();
  });
});

void test('runsOnHungUpChannel (public) answers false for a non-string', () => {
  assert.equal(Reflect.apply(runsOnHungUpChannel, undefined, [undefined]), false);
  assert.equal(runsOnHungUpChannel('SET'), true);
});
