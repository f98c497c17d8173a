import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, BusMessage, parseRequest, isVerbPermitted, leadingVerb, originateWaitMs } from '@fsbus/contract';

const enc = (s: string) => new TextEncoder().encode(s);

void test('checks run in order with the exact messages', () => {
  const cases: Array<[Uint8Array, string, string]> = [
    [new Uint8Array(0), BusMessage.EMPTY_PAYLOAD, BusErrorCode.EMPTY_PAYLOAD],
    // Too large wins over bad JSON: the cap is checked before parsing.
    [enc('x'.repeat(65537)), BusMessage.PAYLOAD_TOO_LARGE, BusErrorCode.PAYLOAD_TOO_LARGE],
    [enc('not json at all'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('{"command":"agent.status"'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('[1,2]'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('"status"'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('null'), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [Uint8Array.of(0x7b, 0xff, 0x7d), BusMessage.INVALID_JSON, BusErrorCode.INVALID_JSON],
    [enc('{"args":"foo"}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":42}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":""}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":"   "}'), BusMessage.MISSING_COMMAND, BusErrorCode.MISSING_COMMAND],
    [enc('{"command":"SHUTDOWN"}'), BusMessage.COMMAND_DENIED, BusErrorCode.COMMAND_DENIED],
  ];
  for (const [bytes, message, code] of cases) {
    const r = parseRequest(bytes, { denylist: ['shutdown'] });
    assert.equal(r.ok, false, message);
    if (!r.ok) {
      assert.equal(r.message, message);
      assert.equal(r.code, code);
    }
  }
});

void test('the cap is configurable and counts bytes, not chars', () => {
  assert.equal(parseRequest(enc('{"command":"status"}'), { maxPayloadBytes: 20 }).ok, true);
  assert.equal(parseRequest(enc('{"command":"status" }'), { maxPayloadBytes: 20 }).ok, false);
  const r = parseRequest(enc('{"command":"é"}'), { maxPayloadBytes: 15 });
  assert.equal(r.ok, false);
});

void test('a valid request carries its fields, slugged node_id and hints', () => {
  const r = parseRequest(enc('{"command":" status ","args":"x","node_id":"FS.Node","async":true,"forward_to":"obs.x","correlation_id":"c1","timeout_ms":1500,"bg":true}'));
  assert.ok(r.ok);
  assert.equal(r.request.command, 'status');
  assert.equal(r.request.args, 'x');
  assert.equal(r.request.node_id, 'fs_node');
  assert.equal(r.request.async, true);
  assert.equal(r.request.forward_to, 'obs.x');
  assert.equal(r.request.correlation_id, 'c1');
  assert.equal(r.request.timeout_ms, 1500);
  assert.equal(r.request.fields['bg'], true);
});

void test('refusals still expose async, forward_to and correlation_id', () => {
  const r = parseRequest(enc('{"command":"","async":true,"forward_to":"x.y","correlation_id":"k"}'));
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.hints, { async: true, forward_to: 'x.y', correlation_id: 'k' });
});

void test('verb policy: leading verb, case-insensitive; denylist wins; allowlist admits only its verbs', () => {
  assert.equal(leadingVerb('  Show   channels '), 'show');
  assert.equal(isVerbPermitted('status', {}), true);
  assert.equal(isVerbPermitted('Shutdown now', { denylist: ['shutdown'] }), false);
  assert.equal(isVerbPermitted('status', { allowlist: ['STATUS', 'version'] }), true);
  assert.equal(isVerbPermitted('uptime', { allowlist: ['status'] }), false);
  assert.equal(isVerbPermitted('status', { allowlist: ['status'], denylist: ['status'] }), false);
  const r = parseRequest(enc('{"command":"agent.status"}'), { allowlist: ['status'], policyApplies: (c) => c !== 'agent.status' });
  assert.equal(r.ok, true);
});

void test('originateWaitMs: the ring timeout (FreeSWITCH 60 s when unset or invalid) + 5 s grace, never below the floor', () => {
  assert.equal(originateWaitMs(10, 30_000), 30_000);
  assert.equal(originateWaitMs(40, 30_000), 45_000);
  assert.equal(originateWaitMs(undefined, 30_000), 65_000);
  for (const bad of [0, -1, 3601, 2.5, '40', null]) assert.equal(originateWaitMs(bad, 1000), 65_000, String(bad));
  assert.equal(originateWaitMs(undefined, 120_000), 120_000);
});
