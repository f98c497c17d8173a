// How the AMQP driver hands a served request's `correlation_id` property to the agent, and sets it
// back on the agent's publish (drivers/amqp/amqp-wire.ts): a forward_to copy carries the id the
// direct reply carries. No broker here: the broker case is the agent's e2e-amqp.test.ts.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { Message } from 'amqplib';
import { CORRELATION_ID_HEADER } from '@fsbus/contract';
import { outboundHeaders, servedInbound } from '../src/drivers/amqp/amqp-wire.js';

function message(properties: Record<string, unknown>): Message {
  return { content: Buffer.from('{}'), fields: { routingKey: 'freeswitch.api' }, properties } as unknown as Message;
}

void test('amqp served request: its correlation_id property is handed on as the header; a header already there (a hand-off) is kept', () => {
  assert.deepEqual(servedInbound(message({ correlationId: 'c-1' })).headers, { [CORRELATION_ID_HEADER]: 'c-1' });
  assert.deepEqual(servedInbound(message({ correlationId: 'c-1', headers: { 'x-trace': 't' } })).headers, { 'x-trace': 't', [CORRELATION_ID_HEADER]: 'c-1' });
  assert.deepEqual(servedInbound(message({ correlationId: 'relay-9', headers: { [CORRELATION_ID_HEADER]: 'c-1' } })).headers, { [CORRELATION_ID_HEADER]: 'c-1' });
  assert.equal(servedInbound(message({})).headers, undefined);
  assert.equal(servedInbound(message({ correlationId: '' })).headers, undefined);
});

void test("amqp publish: the header becomes the correlation_id property on a publish, and stays a header on a request (the hand-off's property is the relaying agent's)", () => {
  assert.deepEqual(outboundHeaders({ [CORRELATION_ID_HEADER]: 'c-1', 'x-trace': 't' }, false), { headers: { 'x-trace': 't' }, correlationId: 'c-1' });
  assert.deepEqual(outboundHeaders({ [CORRELATION_ID_HEADER]: 'c-1' }, true), { headers: { [CORRELATION_ID_HEADER]: 'c-1' } });
  assert.deepEqual(outboundHeaders({ 'x-trace': 't' }, false), { headers: { 'x-trace': 't' } });
});
