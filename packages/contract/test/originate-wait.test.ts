// How long an originate is waited for: what switch_ivr_originate.c may take, + 5 s. The same
// rule serves the agent (its own wait) and the SDK (the timeout_ms it sends).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { originateRingMs, originateWaitMs } from '@fsbus/contract';

const call = { endpoint: 'user/1000', extension: '&park()' };
const vars = (variables: Record<string, unknown>, timeout?: number) => ({ ...call, ...(timeout === undefined ? {} : { timeout }), variables });

void test('originateWaitMs: the ring timeout (FreeSWITCH 60 s when unset or invalid) + 5 s grace, never below the floor', () => {
  assert.equal(originateWaitMs({ ...call, timeout: 10 }, 30_000), 30_000);
  assert.equal(originateWaitMs({ ...call, timeout: 40 }, 30_000), 45_000);
  assert.equal(originateWaitMs(call, 30_000), 65_000);
  for (const bad of [0, -1, 3601, 2.5, '40', null]) assert.equal(originateWaitMs({ ...call, timeout: bad }, 1000), 65_000, String(bad));
  assert.equal(originateWaitMs(call, 120_000), 120_000);
});

void test('leg_timeout longer than the timeout: the longer one is waited for (with fail_on_single_reject=<causes> it is what ends the ring)', () => {
  assert.equal(originateWaitMs(vars({ leg_timeout: 90 }, 20), 1000), 95_000);
  assert.equal(originateWaitMs(vars({ LEG_TIMEOUT: '90' }), 1000), 95_000, 'any case, as a string');
  assert.equal(originateWaitMs(vars({ leg_timeout: 5 }, 20), 1000), 25_000, 'a shorter one changes nothing');
});

void test('originate_retries counts attempts; each retry sleeps originate_retry_sleep_ms (1 s unset) or waits for the min period', () => {
  // 3 attempts × 10 s + 2 × 2 s of sleep.
  assert.equal(originateWaitMs(vars({ originate_retries: 3, originate_retry_sleep_ms: 2000 }, 10), 1000), 39_000);
  assert.equal(originateWaitMs(vars({ originate_retries: '3' }, 10), 1000), 37_000, 'FreeSWITCH sleeps 1000 ms when unset');
  assert.equal(originateWaitMs(vars({ originate_retries: 1 }, 10), 1000), 15_000, 'one attempt: no retry');
  assert.equal(originateWaitMs(vars({ originate_retries: 2, originate_retry_min_period_ms: 8000 }, 10), 1000), 33_000);
  // Both at once: the longer ring on every attempt. A 500 ms sleep still leaves the 1000 ms min period.
  assert.equal(originateWaitMs(vars({ leg_timeout: 30, originate_retries: 2, originate_retry_sleep_ms: 500 }, 10), 1000), 66_000);
});

void test('failover groups (a|b) each ring the whole timeout, and are all retried', () => {
  assert.equal(originateWaitMs({ ...call, endpoint: 'user/1000|user/1001', timeout: 10 }, 1000), 25_000);
  // 2 attempts × 2 groups × 10 s; the retry sleeps 1 s before each group.
  assert.equal(originateWaitMs({ ...vars({ originate_retries: 2 }, 10), endpoint: 'user/1000|user/1001' }, 1000), 47_000);
  // Enterprise legs (:_:) ring side by side: the longest of them counts.
  assert.equal(originateWaitMs({ ...call, endpoint: 'user/1000:_:user/1001|user/1002', timeout: 10 }, 1000), 25_000);
});

void test('originateRingMs refuses values FreeSWITCH would ignore, and totals past 3600 s', () => {
  const err = (fields: Record<string, unknown>) => {
    const r = originateRingMs(fields);
    return 'error' in r ? r.error : `no error (${r.ms} ms)`;
  };
  assert.equal(err({ ...call, timeout: -1 }), 'timeout must be an integer number of seconds (1-3600)');
  // 0 is a Go or protobuf client's unset field: FreeSWITCH's own 60 s, as the agent sends it.
  assert.equal(err({ ...call, timeout: 0 }), 'no error (60000 ms)');
  for (const bad of [0, 3601, 1.5, '1.5', ' 5', 'soon', true, -3]) {
    assert.equal(err(vars({ leg_timeout: bad })), 'variable leg_timeout must be an integer number of seconds (1-3600)', String(bad));
  }
  assert.equal(err(vars({ Originate_Retries: 0 })), 'variable Originate_Retries must be an integer number of attempts (1-100)');
  assert.equal(err(vars({ originate_retries: 101 })), 'variable originate_retries must be an integer number of attempts (1-100)');
  assert.equal(err(vars({ originate_retry_sleep_ms: 499 })), 'variable originate_retry_sleep_ms must be an integer number of milliseconds (500-60000)');
  assert.equal(err(vars({ originate_retry_sleep_ms: 60_001 })), 'variable originate_retry_sleep_ms must be an integer number of milliseconds (500-60000)');
  assert.equal(err(vars({ originate_retry_min_period_ms: 300_001 })), 'variable originate_retry_min_period_ms must be an integer number of milliseconds (500-300000)');
  assert.equal(err(vars({ originate_retries: 60 })), 'the originate could ring for up to 3659 s (60 attempts × 60 s, plus 59 s between attempts): at most 3600 s');
  assert.equal(err({ ...call, endpoint: 'a/1|b/2', timeout: 1800, variables: { leg_timeout: 1801 } }), 'the originate could ring for up to 3602 s (2 failover groups × 1801 s): at most 3600 s');
  assert.deepEqual(originateRingMs(vars({ originate_retries: 59 })), { ms: 3_598_000 });
  assert.deepEqual(originateRingMs({ ...call, timeout: 3600 }), { ms: 3_600_000 });
  // Refused requests are answered at once: their wait is the default one.
  assert.equal(originateWaitMs(vars({ originate_retries: 100 }), 1000), 65_000);
  // Other variables play no part.
  assert.deepEqual(originateRingMs(vars({ progress_timeout: 'x', custom: 1 })), { ms: 60_000 });
});

void test('a null timeout counts as absent (FreeSWITCH 60 s), as null does in every request field', () => {
  assert.deepEqual(originateRingMs({ endpoint: 'user/1000', timeout: null }), { ms: 60_000 });
  assert.deepEqual(originateRingMs({ endpoint: 'user/1000', timeout: null, variables: null }), { ms: 60_000 });
});
