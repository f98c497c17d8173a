// FreeSWITCH's hangup cause names and numbers (switch_channel_str2cause, switch_channel_cause_q850).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { HANGUP_CAUSES, hangupCauseName, hangupCauseQ850 } from '../src/index.js';

void test('a cause by name in any case or by number gives its canonical name; anything else none', () => {
  assert.equal(hangupCauseName('USER_BUSY'), 'USER_BUSY');
  assert.equal(hangupCauseName(' user_busy '), 'USER_BUSY');
  assert.equal(hangupCauseName('17'), 'USER_BUSY');
  assert.equal(hangupCauseName('487'), 'ORIGINATOR_CANCEL');
  for (const bad of ['BOGUS_CAUSE', '', '999', '17x', 'constructor', '__proto__', 'user busy']) assert.equal(hangupCauseName(bad), undefined, bad);
  assert.equal(Object.keys(HANGUP_CAUSES).length, 82, 'CAUSE_CHART of FreeSWITCH 1.10');
});

void test('hangup_cause_q850: the number up to 127 (INTERWORKING), NORMAL_CLEARING (16) above', () => {
  assert.equal(hangupCauseQ850('CALL_REJECTED'), 21);
  assert.equal(hangupCauseQ850('INTERWORKING'), 127);
  assert.equal(hangupCauseQ850('ORIGINATOR_CANCEL'), 16);
  assert.equal(hangupCauseQ850('ALLOTTED_TIMEOUT'), 16);
});
