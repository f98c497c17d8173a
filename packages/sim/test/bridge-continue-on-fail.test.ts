/**
 * What a failed `bridge` does to its caller, as FreeSWITCH 1.10.12's switch_channel_handle_cause
 * decides: `continue_on_fail` true in any of switch_true's spellings, or a list of causes (names
 * in any case, or numbers) holding the failure's; `failure_causes`, the other way round; with
 * neither, only NO_ANSWER, NO_USER_RESPONSE and ORIGINATOR_CANCEL go on. Seen over the Event
 * Socket: the next application (`hangup NORMAL_UNSPECIFIED`) runs, or the caller is hung up with
 * the failure's cause.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { apiWire, extension, on, type ApiWire } from './api-wire.js';

interface Case {
  readonly vars: ReadonlyArray<readonly [string, string]>;
  readonly cause: string;
  readonly goesOn: boolean;
}

const CASES: readonly Case[] = [
  { vars: [['continue_on_fail', 'true']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['continue_on_fail', 'yes']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['continue_on_fail', 'ON']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['continue_on_fail', '1']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['continue_on_fail', 'false']], cause: 'USER_BUSY', goesOn: false },
  { vars: [['continue_on_fail', 'NO_ANSWER,USER_BUSY']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['continue_on_fail', 'user_busy']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['continue_on_fail', '19,17']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['continue_on_fail', 'NO_ANSWER,CALL_REJECTED']], cause: 'USER_BUSY', goesOn: false },
  { vars: [['continue_on_fail', 'NO_ANSWER,CALL_REJECTED']], cause: 'NO_ANSWER', goesOn: true },
  { vars: [], cause: 'USER_BUSY', goesOn: false },
  { vars: [], cause: 'NO_ANSWER', goesOn: true },
  { vars: [['failure_causes', 'NO_ANSWER']], cause: 'USER_BUSY', goesOn: true },
  { vars: [['failure_causes', 'USER_BUSY']], cause: 'USER_BUSY', goesOn: false },
];

const label = (c: Case): string => `${c.vars.map(([k, v]) => `${k}=${v}`).join(' ') || 'no variable'}, ${c.cause}`;

void describe('bridge failure: continue_on_fail and failure_causes', () => {
  let w: ApiWire;
  before(async () => {
    w = await apiWire({
      dialplan: {
        default: CASES.map((c, i) => extension(String(8400 + i), [
          ...c.vars.map(([k, v]) => ({ application: 'set', data: `${k}=${v}` })),
          { application: 'bridge', data: `error/${c.cause}` },
          { application: 'hangup', data: 'NORMAL_UNSPECIFIED' },
        ])),
      },
    });
  });
  after(() => w.close());

  CASES.forEach((c, i) => {
    void it(`${label(c)}: ${c.goesOn ? 'the dialplan goes on' : 'hung up with the cause'}`, async () => {
      const uuid = `c0c0c0c0-0000-4000-8000-${String(i).padStart(12, '0')}`;
      assert.equal(await w.api(`originate {origination_uuid=${uuid}}user/1000 ${8400 + i}`), `+OK ${uuid}\n`);
      const hangup = await w.until(on(uuid, 'CHANNEL_HANGUP_COMPLETE'));
      assert.equal(hangup['Hangup-Cause'], c.goesOn ? 'NORMAL_UNSPECIFIED' : c.cause);
    });
  });
});
