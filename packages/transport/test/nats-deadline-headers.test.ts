// The headers of a request that carries only its deadline are written directly (deadlineHeaders)
// rather than through MsgHdrsImpl's checks and encoder: they must be the bytes the general path
// makes, read back the same by nats.js, and any value that is not plain digits (a fractional
// timeout) must still take the general path.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { MsgHdrsImpl } from '@nats-io/transport-node';
import { EXPIRES_HEADER } from '../src/expires.js';
import { deadlineHeaders, toNatsHeaders } from '../src/nats/nats-util.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

void test('nats deadlineHeaders: the same bytes as the general path, decoded the same by nats.js', () => {
  for (const expires of [String(Date.now() + 5000), '1000000000000', '99999999999999']) {
    const fast = deadlineHeaders(expires);
    const general = toNatsHeaders({ [EXPIRES_HEADER]: expires });
    assert.equal(text(fast.encode()), text(general.encode()));
    assert.equal(text(fast.encode()), `NATS/1.0\r\n${EXPIRES_HEADER}: ${expires}\r\n\r\n`);
    assert.equal(fast.get(EXPIRES_HEADER), expires, 'readable before it is sent (outbox, hand-off)');
    assert.deepEqual([...fast], [[EXPIRES_HEADER, [expires]]]);
    const decoded = MsgHdrsImpl.decode(fast.encode());
    assert.equal(decoded.get(EXPIRES_HEADER), expires);
    assert.equal(decoded.size(), 1);
  }
});

void test('nats deadlineHeaders: a value that is not plain digits goes the general way', () => {
  const fractional = `${Date.now() + 5000}.25`;
  assert.equal(text(deadlineHeaders(fractional).encode()), text(toNatsHeaders({ [EXPIRES_HEADER]: fractional }).encode()));
  // nats.js's own check still stands on that path: a line break cannot reach the wire.
  assert.throws(() => deadlineHeaders('1\r\nX-Injected: 1'), /cannot contain/);
});
