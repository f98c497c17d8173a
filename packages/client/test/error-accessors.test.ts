// Typed readers of an error's `data` (which stays `unknown`: the wire can carry anything):
// placedCallUuid — the call an originate placed, on its ClientError (no reply) or the agent's
// ReplyError alike — and originateFailureCause, FSBUS_ERR_BUS_ORIGINATE_FAILED's hangup cause.
// Against a real agent, simulated FreeSWITCH and nats-server; the types checked by tsc (expect-type).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import { ClientError, ClientErrorCode, originateFailureCause, placedCallUuid, ReplyError, type BusEvent, type HangupCause } from '../src/index.js';
import { startStack, type Stack } from './support/stack.js';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('error data accessors', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  void it('types: a uuid string, a hangup cause the editor completes, hangupCause the same', () => {
    expectTypeOf(placedCallUuid).returns.toEqualTypeOf<string | undefined>();
    expectTypeOf(originateFailureCause).returns.toEqualTypeOf<HangupCause | (string & {}) | undefined>();
    expectTypeOf<BusEvent['hangupCause']>().toEqualTypeOf<HangupCause | (string & {}) | undefined>();
    // A comparison against a cause name type-checks; a misspelt one would not compile as a HangupCause.
    const busy: HangupCause = 'USER_BUSY';
    assert.equal(originateFailureCause(undefined) === busy, false);
  });

  void it("an originate refused by FreeSWITCH: the agent's ReplyError, its uuid and cause", async () => {
    stack.nodes[0]!.sim.core.control.setEndpointBehavior('user/3001', { answer: 'busy' });
    const uuid = '6f1c7a2e-0b7d-4e0a-9d3e-3c1f5e9a0001';
    const err = await rejection(stack.bus.originate({ endpoint: 'user/3001', extension: '&park()', uuid }));
    assert.ok(err instanceof ReplyError, String(err));
    assert.equal(err.code, 'FSBUS_ERR_BUS_ORIGINATE_FAILED');
    assert.equal(placedCallUuid(err), uuid);
    assert.equal(originateFailureCause(err), 'USER_BUSY');
  });

  void it('an originate the client stopped waiting for: its ClientError names the call, no cause', async () => {
    const abort = new AbortController();
    abort.abort();
    const err = await rejection(stack.bus.originate({ endpoint: 'user/1000', extension: '&park()' }, { signal: abort.signal }));
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.ABORTED);
    assert.equal(typeof placedCallUuid(err), 'string', err.message);
    assert.equal(originateFailureCause(err), undefined);
  });

  void it('anything else: undefined, never a throw', () => {
    for (const value of [undefined, null, 'x', 42, new Error('x'), { data: { uuid: 'u', cause: 'USER_BUSY' } }, new ClientError(ClientErrorCode.TIMEOUT, 't', { data: { uuid: 7 } })]) {
      assert.equal(placedCallUuid(value), undefined);
      assert.equal(originateFailureCause(value), undefined);
    }
  });
});
