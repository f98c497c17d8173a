/** encodeUtf8: Node's pooled Buffer path must give exactly TextEncoder's bytes. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeReply, encodeReply, encodeUtf8, successReply } from '@fsbus/contract';

const reference = new TextEncoder();

void test('same bytes as TextEncoder for any string, lone surrogates included (U+FFFD)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (text) => {
      assert.deepEqual([...encodeUtf8(text)], [...reference.encode(text)]);
    }),
    { numRuns: 2000 },
  );
  assert.deepEqual([...encodeUtf8('\ud800')], [0xef, 0xbf, 0xbd]);
  assert.equal(encodeUtf8('').byteLength, 0);
});

void test('pooled results are views at an offset: a reply decodes from its own bytes only', () => {
  const first = encodeReply(successReply({ nodeId: 'n1', message: 'ok', data: 'é'.repeat(10) }));
  const second = encodeReply(successReply({ nodeId: 'n2', message: 'ok', data: 'ü' }));
  assert.equal(decodeReply(first).node_id, 'n1');
  assert.equal(decodeReply(second).data, 'ü');
  assert.equal(decodeReply(new Uint8Array(second)).node_id, 'n2');
});
