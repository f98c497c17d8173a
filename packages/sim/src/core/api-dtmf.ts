/**
 * DTMF APIs of mod_commands as FreeSWITCH 1.10.12 runs them:
 * - `uuid_recv_dtmf <uuid> <dtmf>`: digits the channel receives (switch_channel_queue_dtmf_string):
 *   DTMF events on that channel, `DTMF-Source: APP` — what `core.control.sendDigits` gives too.
 * - `uuid_send_dtmf <uuid> <dtmf>`: digits the channel sends to its far end
 *   (switch_core_session_send_dtmf_string, which pre-answers it first). A sofia leg sends them
 *   over RTP: no event here. A loopback leg hands them to its other leg (mod_loopback's
 *   channel_send_dtmf), which receives them: DTMF events there, `DTMF-Source: UNKNOWN`.
 * - `uuid_flush_dtmf <uuid>`: drops the digits received and not read yet.
 * `<dtmf>` is `+`-separated groups of `digits[@ms]`. FreeSWITCH fires a DTMF event when the
 * channel's application reads the digit; the simulator fires it once the command has returned.
 * Parked (switch_ivr_park with no input args), the channel drops each digit it dequeues.
 */
import type { ApiHandler, ApiHost } from './api.js';
import type { Channel } from './channel.js';
import { LOG_DEBUG, LOG_ERR, LOG_INFO, site } from './constants.js';
import { separateString, switchSeparateString } from './separate-string.js';
import { switchTrue } from './switch-true.js';
import { atoi } from './c-num.js';

const DEFAULT_SAMPLES = 2000;
const MIN_SAMPLES = 400;
const MAX_SAMPLES = 192000;
/** Samples per ms at the channels' 8 kHz. */
const RATE_MULT = 8;

const DTMF_EVENT = site('switch_channel.c', 'switch_channel_dequeue_dtmf', 677);
const RECV_LOG = site('switch_channel.c', 'switch_channel_queue_dtmf', 528);
const QUEUE_LOG = site('switch_channel.c', 'switch_channel_queue_dtmf_string', 624);
const SEND_LOG = site('switch_core_io.c', 'switch_core_session_send_dtmf_string', 1201);
const TOO_LONG_LOG = site('switch_core_io.c', 'switch_core_session_send_dtmf_string', 1151);

const isDtmf = (c: string): boolean => /^[0-9A-Da-d#*wWFf]$/.test(c);

interface Tone {
  readonly digit: string;
  /** Samples. */
  readonly duration: number;
  /** The length as written (ms), for the log line. */
  readonly ms: number;
}

/** `digits[@ms]` groups: an `@ms` over 50 sets the length, clamped to FreeSWITCH's limits. */
function parseTones(text: string): { tones: Tone[]; badInput: boolean } {
  const tones: Tone[] = [];
  let badInput = false;
  for (const group of switchSeparateString(text, '+')) {
    const at = group.indexOf('@');
    const ms = at < 0 ? DEFAULT_SAMPLES / RATE_MULT : atoi(group.slice(at + 1));
    const samples = ms > MIN_SAMPLES / RATE_MULT ? ms * RATE_MULT : DEFAULT_SAMPLES;
    for (const digit of at < 0 ? group : group.slice(0, at)) {
      if (!isDtmf(digit)) badInput = true;
      else tones.push({ digit, ms, duration: Math.min(MAX_SAMPLES, Math.max(MIN_SAMPLES, samples)) });
    }
  }
  return { tones, badInput };
}

/** switch_channel_queue_dtmf's log line; sensitive_dtmf digits are neither logged nor reported. */
function logReceived(host: ApiHost, ch: Channel, t: Tone): void {
  if (!switchTrue(ch.getVar('sensitive_dtmf'))) host.engine.log(ch, LOG_INFO, RECV_LOG, `RECV DTMF ${t.digit}:${t.duration}`);
}

/**
 * The digits the channel has received: each a DTMF event once read, and input for what collects
 * digits — unless the channel is in park's own loop, which dequeues and drops them.
 */
function deliver(host: ApiHost, ch: Channel, tones: readonly Tone[], source: 'APP' | 'UNKNOWN'): void {
  if (tones.length === 0) return;
  const e = host.engine;
  const sensitive = switchTrue(ch.getVar('sensitive_dtmf'));
  e.defer(() => {
    if (ch.destroyed) return;
    // Only the innermost application reads: one run inside park (a sendmsg execute) gets them.
    const dropped = ch.appStack.at(-1)?.discardsDigits === true;
    for (const t of tones) {
      if (!sensitive) e.fire(ch, 'DTMF', DTMF_EVENT, { vars: false, post: [['DTMF-Digit', t.digit], ['DTMF-Duration', String(t.duration)], ['DTMF-Source', source]] });
      if (!dropped) ch.digits += t.digit;
    }
    ch.digitWaiter?.();
  });
}

/** `<uuid> <dtmf>`: the dtmf is the rest of the line, cleaned up as switch_separate_string does. */
function uuidAndDigits(args: string): [string, string] | undefined {
  const [uuid, digits] = separateString(args, 2);
  return uuid === undefined || uuid === '' || digits === undefined || digits === '' ? undefined : [uuid, digits];
}

const uuidRecvDtmf: ApiHandler = (host, args) => {
  const usage = '-USAGE: <uuid> <dtmf_data>\n';
  const parsed = uuidAndDigits(args);
  if (parsed === undefined) return usage;
  const [uuid, data] = parsed;
  const ch = host.engine.locate(uuid);
  if (ch === undefined) return '-ERR Cannot locate session!\n';
  // A leading `~` only lets the digits through the DTMF hooks, which the simulator has none of.
  const { tones, badInput } = parseTones(data.startsWith('~') ? data.slice(1) : data);
  if (tones.length === 0 && badInput) return usage;
  for (const t of tones) {
    logReceived(host, ch, t);
    host.engine.log(ch, LOG_DEBUG, QUEUE_LOG, `${ch.name} Queue dtmf\ndigit=${t.digit} ms=${t.ms} samples=${t.duration}`);
  }
  deliver(host, ch, tones, 'APP');
  return `+OK ${uuid} received DTMF ${data}.\n`;
};

const uuidSendDtmf: ApiHandler = (host, args) => {
  const parsed = uuidAndDigits(args);
  if (parsed === undefined) return '-USAGE: <uuid> <dtmf_data>\n';
  const [uuid, data] = parsed;
  const e = host.engine;
  const ch = e.locate(uuid);
  if (ch === undefined) return '-ERR Cannot locate session!\n';
  const text = data.startsWith('~') ? data.slice(1) : data;
  if (text === '') return '-ERR Operation failed\n';
  if (text.length > 99) {
    e.log(ch, LOG_ERR, TOO_LONG_LOG, 'Attempt to send very large dtmf string ignored!');
    return '-ERR Operation failed\n';
  }
  e.preAnswer(ch);
  const { tones } = parseTones(text);
  const other = ch.loopbackPartner;
  const partner = other !== undefined && e.locate(other.uuid) === other ? other : undefined;
  // `w` / `W` are pauses (half a second, a second) that send nothing; the simulator does not wait them.
  const sent = tones.filter((t) => t.digit !== 'w' && t.digit !== 'W');
  for (const t of tones) {
    if (partner !== undefined && sent.includes(t)) logReceived(host, partner, t);
    e.log(ch, LOG_DEBUG, SEND_LOG, `${ch.name} send dtmf\ndigit=${t.digit} ms=${t.ms} samples=${t.duration}`);
  }
  if (partner !== undefined) deliver(host, partner, sent, 'UNKNOWN');
  return tones.length > 0 ? `+OK ${uuid} sent DTMF ${data}.\n` : '-ERR Operation failed\n';
};

export const DTMF_APIS: ReadonlyMap<string, ApiHandler> = new Map<string, ApiHandler>([
  ['uuid_recv_dtmf', uuidRecvDtmf],
  ['uuid_send_dtmf', uuidSendDtmf],
  ['uuid_flush_dtmf', (host, args) => {
    const ch = args === '' ? undefined : host.engine.locate(args);
    if (ch === undefined) return '-ERR No such session\n';
    ch.digits = '';
    return '+OK\n';
  }],
]);
