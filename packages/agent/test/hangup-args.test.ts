// `fsbus api hangup <uuid>` (api('hangup', '<uuid>')) reaches the agent's own `hangup`, which takes
// fields: the refusal said `uuid must be between 2 and 63 characters` of a 36-character uuid. It
// now says the command takes fields and names the ways to send it; nothing reaches FreeSWITCH.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, type BusRequest } from '@fsbus/contract';
import { hangupCommand } from '../src/commands/hangup.js';
import type { CommandContext } from '../src/commands/registry.js';

function context(sent: string[]): CommandContext {
  return {
    nodeId: 'n1',
    timeoutMs: 5000,
    signal: new AbortController().signal,
    api: (command) => {
      sent.push(command);
      return Promise.resolve('+OK\n');
    },
    bgapi: () => Promise.reject(new Error('not used')),
    status: () => ({}),
  };
}

const uuid = '0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f';

void test('hangup with its uuid in args: the refusal says it takes fields, nothing is sent', async () => {
  const sent: string[] = [];
  const request: BusRequest = { command: 'hangup', args: uuid, fields: { command: 'hangup', args: uuid } };
  const r = await hangupCommand.run(request, context(sent));
  assert.equal(r.ok, false);
  assert.equal(r.ok ? '' : r.code, BusErrorCode.INVALID_ARGUMENT);
  assert.equal(
    r.ok ? '' : r.message,
    "hangup is the agent's own command: it takes fields, not args, so send uuid (and optionally cause), e.g. bus.hangup(uuid) in the SDK or fsbus hangup <uuid> [cause]; FreeSWITCH's own uuid_kill takes <uuid> [cause] as args",
  );
  assert.deepEqual(sent, []);
});

void test('hangup with a uuid field runs as before, args or not; no uuid and no args keeps its message', async () => {
  const sent: string[] = [];
  const ok = await hangupCommand.run({ command: 'hangup', args: 'ignored', fields: { uuid, args: 'ignored' } }, context(sent));
  assert.equal(ok.ok, true);
  assert.deepEqual(sent, [`uuid_kill ${uuid} NORMAL_CLEARING`]);
  const none = await hangupCommand.run({ command: 'hangup', fields: {} }, context(sent));
  assert.equal(none.ok ? '' : none.message, 'uuid must be between 2 and 63 characters');
});
