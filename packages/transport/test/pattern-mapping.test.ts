import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { TransportErrorCode } from '@fsbus/transport';
import { toFilter } from '../src/drivers/mqtt/mqtt-util.js';
import { bindingKey } from '../src/drivers/amqp/amqp-options.js';
import { assertPattern } from '../src/subject-pattern.js';

void test('`>` (one or more tokens) maps to filters that need one more level: MQTT `+/#`, AMQP `*.#`', () => {
  assert.equal(toFilter('a.>'), 'a/+/#');
  assert.equal(toFilter('a.*.c'), 'a/+/c');
  assert.equal(bindingKey('a.>'), 'a.*.#');
  assert.equal(bindingKey('a.*.c'), 'a.*.c');
});

void test('assertPattern: whole-token wildcards, `>` last, no empty token or white space, broker-reserved characters', () => {
  for (const ok of ['a', 'a.b', 'a.*', 'a.>', '*.b.>', '>']) assertPattern(ok, '/+#');
  for (const bad of ['', 'a..b', 'a.>.b', 'a.b*', 'a b', 'a.b+c', 'a/b', 'a.#']) {
    assert.throws(() => assertPattern(bad, '/+#'), { code: TransportErrorCode.UNSUPPORTED }, bad);
  }
  assert.throws(() => assertPattern(`a.${'x'.repeat(300)}`, '#', 255), { code: TransportErrorCode.UNSUPPORTED });
});
