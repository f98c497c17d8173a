// What the re-apply after a reconnect answers for (SubscriptionState.replayedEventReply /
// replayedReply): only what it sent, FreeSWITCH accepted, and nothing changed since.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { CommandReplyFrame } from '../src/index.js';
import { SubscriptionState } from '../src/subscription-state.js';

const ok = (replyText: string): CommandReplyFrame => ({ kind: 'command-reply', replyText, ok: true, headers: new Map() });

/** A state as `setup` leaves it, its replay accepted line by line except `refused`. */
function replayed(setup: (s: SubscriptionState) => void, refused: readonly string[] = []): SubscriptionState {
  const s = new SubscriptionState();
  setup(s);
  for (const line of s.replayCommands()) if (!refused.includes(line)) s.onReplayed(line, ok(`+OK ${line}`));
  return s;
}

void test('an event subscription already on, in the same format, is answered by the re-apply; anything that would change it is not', () => {
  const s = replayed((x) => x.onEvents('json', ['CHANNEL_ANSWER', 'CUSTOM', 'sofia::register']));
  const reply = '+OK event json CHANNEL_ANSWER CUSTOM sofia::register';
  assert.equal(s.replayedEventReply('json', ['channel_answer'])?.replyText, reply);
  assert.equal(s.replayedEventReply('json', ['SWITCH_EVENT_CHANNEL_ANSWER', 'CUSTOM', 'sofia::register'])?.replyText, reply);
  assert.equal(s.replayedEventReply('json', ['CUSTOM', 'sofia::register', 'CHANNEL_ANSWER']), undefined, 'a subclass CHANNEL_ANSWER (after CUSTOM)');
  assert.equal(s.replayedEventReply('plain', ['CHANNEL_ANSWER']), undefined, 'another format');
  assert.equal(s.replayedEventReply('json', ['CHANNEL_HANGUP']), undefined, 'a new name');
  assert.equal(s.replayedEventReply('json', ['CUSTOM', 'other::sub']), undefined, 'a new subclass');
  assert.equal(s.replayedEventReply('json', ['NO_SUCH_EVENT']), undefined, 'FreeSWITCH answers -ERR no keywords');
  assert.equal(s.replayedEventReply('json', ['CHANNEL_ANSWER', 'NO_SUCH_EVENT']), undefined);
  assert.equal(s.replayedEventReply('json', []), undefined);
  assert.equal(s.replayedReply('log debug'), undefined, 'never re-applied');
  s.onNixevent(['CHANNEL_ANSWER']);
  assert.equal(s.replayedEventReply('json', ['CUSTOM']), undefined, 'changed since the re-apply');
});

void test('ALL with types nixed, a refused part, a new socket: sent', () => {
  const nixed = replayed((x) => {
    x.onEvents('plain', ['ALL']);
    x.onNixevent(['HEARTBEAT']);
  });
  assert.equal(nixed.replayedEventReply('plain', ['ALL']), undefined, 'would turn HEARTBEAT back on');
  assert.equal(nixed.replayedEventReply('plain', ['CHANNEL_ANSWER'])?.replyText, '+OK event plain ALL');
  const refused = replayed((x) => {
    x.onEvents('plain', ['ALL']);
    x.onNixevent(['HEARTBEAT']);
  }, ['nixevent HEARTBEAT']);
  assert.equal(refused.replayedEventReply('plain', ['CHANNEL_ANSWER']), undefined);
  const filtered = replayed((x) => {
    x.onFilter('Unique-ID', 'abc');
    x.logLevel = 'debug';
  });
  assert.equal(filtered.replayedReply('filter Unique-ID abc')?.replyText, '+OK filter Unique-ID abc');
  filtered.logLevel = 'info';
  assert.equal(filtered.replayedReply('log debug'), undefined, 'no longer the state');
  filtered.forgetReplayed();
  assert.equal(filtered.replayedReply('filter Unique-ID abc'), undefined);
});
