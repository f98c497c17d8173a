// The agent's `broker reported an error` lines had one window for every error: RabbitMQ's refusal
// of the credentials on the reconnect (the line with the hint) came 0.3 s after amqplib's
// `Unexpected close` from the drop, and was written only as the summary line at the end of the
// 10 s window that one had opened. No clock here: what is written before flush() (the window's
// end, as at stop) was written at once; a summary line carries `suppressed`.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BROKER_ERROR_CAUSES_MAX, BROKER_ERROR_LOG, BrokerErrorLog, brokerErrorCause } from '../src/broker-error-log.js';
import { brokerAuthHint } from '../src/config/broker-auth-hint.js';
import { TransportError, TransportErrorCode } from '@fsbus/transport';

type Line = Record<string, unknown>;

function recorder(): { log: BrokerErrorLog; lines: Line[] } {
  const lines: Line[] = [];
  const log = new BrokerErrorLog((fields, msg) => {
    assert.equal(msg, BROKER_ERROR_LOG);
    lines.push(fields);
  });
  return { log, lines };
}

const message = (l: Line | undefined): string | undefined => (l?.['err'] as Error | undefined)?.message;
/** What the lines stand for: one each, a summary line for its `suppressed`. */
const occurrences = (lines: Line[]): number => lines.reduce((n, l) => n + (typeof l['suppressed'] === 'number' ? l['suppressed'] : 1), 0);

function accessRefused(): Error {
  return new TransportError(
    TransportErrorCode.CONNECT,
    'cannot reconnect to RabbitMQ (amqp://127.0.0.1:5672): Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."',
  );
}

void test('a refusal of the credentials just after the drop is written at once, with its hint', () => {
  const { log, lines } = recorder();
  log.hit(new Error('Unexpected close'), undefined);
  const refused = accessRefused();
  log.hit(refused, brokerAuthHint('amqp', refused));
  assert.deepEqual(lines.map(message), ['Unexpected close', refused.message]);
  assert.match(String(lines[1]?.['hint']), /^the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD /);
  assert.equal(lines[1]?.['suppressed'], undefined);
  log.flush();
  assert.equal(lines.length, 2, 'nothing was held back');
});

void test("each driver's refusal after another error is written at once", () => {
  const refusals: Array<[string, Error]> = [
    ['nats', new Error('Authorization Violation')],
    ['redis', new Error("WRONGPASS invalid username-password pair or user is disabled.")],
    ['mqtt', new Error('Connection refused: Not authorized')],
    ['kafka', new Error('SASL authentication failed.')],
  ];
  for (const [driver, refusal] of refusals) {
    const { log, lines } = recorder();
    log.hit(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), undefined);
    const hint = brokerAuthHint(driver, refusal);
    assert.ok(hint !== undefined, driver);
    log.hit(refusal, hint);
    assert.deepEqual(lines.map(message), ['read ECONNRESET', refusal.message], driver);
    assert.equal(lines[1]?.['hint'], hint, driver);
    log.flush();
  }
});

void test('a flood of one error stays one line per window; the summary accounts for the rest', () => {
  const { log, lines } = recorder();
  for (let i = 0; i < 50; i++) log.hit(Object.assign(new Error(`Permissions Violation for Publish to "fs.events.${i}"`), { code: 'PERMISSIONS_VIOLATION' }), undefined);
  assert.equal(lines.length, 1);
  // A refusal repeated on every reconnect attempt is a flood of its own too.
  const refused = accessRefused();
  const hint = brokerAuthHint('amqp', refused);
  for (let i = 0; i < 5; i++) log.hit(refused, hint);
  assert.equal(lines.length, 2);
  assert.equal(lines[1]?.['hint'], hint);
  log.flush();
  assert.equal(lines.length, 4);
  assert.equal(occurrences(lines), 55);
  assert.deepEqual(lines.slice(2).map((l) => l['suppressed']).sort(), [4, 49]);
});

void test('other causes: written at once up to the bound, the rest share one window; a refusal is never held behind them', () => {
  const { log, lines } = recorder();
  const n = BROKER_ERROR_CAUSES_MAX + 5;
  for (let round = 0; round < 3; round++) for (let i = 0; i < n; i++) log.hit(Object.assign(new Error(`cause ${i}`), { code: `CODE_${i}` }), undefined);
  assert.equal(lines.length, BROKER_ERROR_CAUSES_MAX);
  const refused = accessRefused();
  log.hit(refused, brokerAuthHint('amqp', refused));
  assert.equal(message(lines.at(-1)), refused.message);
  log.flush();
  assert.equal(occurrences(lines), 3 * n + 1);
});

void test('what makes one cause: the hint, else the code, else the class; never the message', () => {
  assert.equal(brokerErrorCause(new Error('a'), undefined), brokerErrorCause(new Error('b'), undefined));
  assert.notEqual(brokerErrorCause(new Error('a'), undefined), brokerErrorCause(new TypeError('a'), undefined));
  assert.notEqual(brokerErrorCause(new Error('Unexpected close'), undefined), brokerErrorCause(accessRefused(), undefined));
  assert.notEqual(brokerErrorCause(accessRefused(), undefined), brokerErrorCause(accessRefused(), 'hint'));
  assert.equal(brokerErrorCause(Object.assign(new Error('x'), { code: 404 }), undefined), brokerErrorCause(Object.assign(new Error('y'), { code: 404 }), undefined));
});
