/**
 * The recorded event stream the benchmark parses: the event frames of the real FreeSWITCH
 * captures (`shared-plain.bin`, `shared-json.bin`), byte for byte, repeated to the target size.
 * Without the captures, simulator-like events are generated instead, and the report says so.
 */
import { EslEvent, encodeFrame, type EventFormat } from '@fsbus/esl';
import { fixtureBytes, fixturesPresent, FIXTURES_DIR, frameSlices } from '../../packages/esl/test/support/fixtures.js';

export type BenchFormat = Extract<EventFormat, 'plain' | 'json'>;
export const BENCH_FORMATS: readonly BenchFormat[] = ['plain', 'json'];

export interface EventStream {
  readonly format: BenchFormat;
  /** `fixtures` (real captures) or `generated` (captures missing). */
  readonly source: 'fixtures' | 'generated';
  readonly bytes: Buffer;
  readonly events: number;
  /** Distinct event frames the stream repeats. */
  readonly distinctEvents: number;
}

/** The event frames (outer headers + body) of one capture, skipping greeting and replies. */
function capturedEventFrames(format: BenchFormat): Buffer[] {
  const contentType = `Content-Type: text/event-${format}\n`;
  return frameSlices(fixtureBytes(`shared-${format}.bin`)).filter((f) => f.includes(contentType));
}

/** Events shaped like FreeSWITCH's channel events (~100 headers; hangups ~170), for runs without the captures. */
function generatedEventFrames(format: BenchFormat): Buffer[] {
  const names = ['CHANNEL_CREATE', 'CHANNEL_STATE', 'CHANNEL_ANSWER', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP', 'HEARTBEAT'];
  const frames: Buffer[] = [];
  for (let i = 0; i < 200; i++) {
    const uuid = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000001`;
    const ev = EslEvent.create(names[i % names.length] as 'CHANNEL_CREATE');
    addCommonHeaders(ev, i, uuid);
    for (let h = 0; h < 90; h++) ev.addHeader(`variable_sim_var_${h}`, h % 3 === 0 ? `value with spaces: ${h}` : `v${h}`);
    if (i % 10 === 0) ev.setBody(`+OK ${uuid}\n`);
    frames.push(encodeFrame([['Content-Type', `text/event-${format}`]], ev.serialize(format)));
    // Every fifth call ends with the variable dump of a SIP call's CHANNEL_HANGUP_COMPLETE.
    if (i % 5 === 4) frames.push(encodeFrame([['Content-Type', `text/event-${format}`]], hangupComplete(i, uuid).serialize(format)));
  }
  return frames;
}

function addCommonHeaders(ev: EslEvent, i: number, uuid: string): void {
  ev.addHeader('Core-UUID', '238ece83-0393-4ec5-9c46-81347eeb2b0b');
  ev.addHeader('Event-Date-Local', '2026-11-22 06:28:05');
  ev.addHeader('Event-Date-GMT', 'Sun, 22 Nov 2026 06:28:05 GMT');
  ev.addHeader('Event-Date-Timestamp', String(1795328885424395 + i));
  ev.addHeader('Event-Sequence', String(677 + i));
  ev.addHeader('Unique-ID', uuid);
  ev.addHeader('Channel-Name', `sofia/internal/10${i % 100}@192.0.2.2`);
}

// A SIP leg's channel variables, named as FreeSWITCH names them: families of one prefix and
// often one length (`variable_sip_*`, `variable_rtp_audio_in_*`, `*_epoch`/`*_uepoch`), the
// names a duplicate-header check must tell apart cheaply.
const SIP_VARIABLES = [
  'direction', 'uuid', 'session_id', 'sip_from_user', 'sip_from_uri', 'sip_from_host', 'sip_from_tag', 'sip_from_display',
  'sip_to_user', 'sip_to_uri', 'sip_to_host', 'sip_to_tag', 'sip_req_user', 'sip_req_uri', 'sip_req_host', 'sip_req_port',
  'sip_contact_user', 'sip_contact_uri', 'sip_contact_host', 'sip_contact_port', 'sip_via_host', 'sip_via_port', 'sip_via_rport',
  'sip_via_protocol', 'sip_network_ip', 'sip_network_port', 'sip_received_ip', 'sip_received_port', 'sip_call_id', 'sip_cseq',
  'sip_user_agent', 'sip_local_network_addr', 'sip_profile_name', 'sip_invite_domain', 'sip_term_status', 'sip_term_cause',
  'sip_hangup_phrase', 'sip_hangup_disposition', 'sip_full_from', 'sip_full_to', 'sip_full_via', 'sip_allow', 'sip_acl_authed_by',
  'sip_local_sdp_str', 'sip_remote_media_ip', 'sip_remote_media_port', 'sip_audio_recv_pt', 'sip_use_codec_name', 'sip_use_codec_rate',
  'read_codec', 'read_rate', 'write_codec', 'write_rate', 'remote_media_ip', 'remote_media_port', 'local_media_ip', 'local_media_port',
  'hangup_cause', 'hangup_cause_q850', 'last_app', 'last_arg', 'caller_id', 'digits_dialed', 'endpoint_disposition', 'current_application',
];
const RTP_STATS = [
  'raw_bytes', 'media_bytes', 'packet_count', 'media_packet_count', 'skip_packet_count', 'jitter_packet_count', 'dtmf_packet_count',
  'cng_packet_count', 'flush_packet_count', 'largest_jb_size', 'jitter_min_variance', 'jitter_max_variance', 'jitter_loss_rate',
  'jitter_burst_rate', 'mean_interval', 'flaw_total', 'quality_percentage', 'mos',
];
const CALL_TIMES = ['start', 'profile_start', 'answer', 'bridge', 'last_hold', 'resurrect', 'progress', 'progress_media', 'end'];
const DURATIONS = ['duration', 'billsec', 'progresssec', 'answersec', 'waitsec', 'progress_mediasec', 'flow_billsec'];

const HANGUP_VARIABLES: readonly string[] = [
  ...SIP_VARIABLES,
  ...['in', 'out'].flatMap((way) => RTP_STATS.map((stat) => `rtp_audio_${way}_${stat}`)),
  ...CALL_TIMES.flatMap((time) => [`${time}_stamp`, `${time}_epoch`, `${time}_uepoch`]),
  ...DURATIONS.flatMap((d) => [d, d.replace(/sec$|ation$/, (s) => `m${s}`), d.replace(/sec$|ation$/, (s) => `u${s}`)]),
  ...Array.from({ length: 12 }, (_, n) => `sip_h_X-Custom-${String(n).padStart(2, '0')}`),
].map((name) => `variable_${name}`);

/** A CHANNEL_HANGUP_COMPLETE with its ~160 `variable_*` headers. */
function hangupComplete(i: number, uuid: string): EslEvent {
  const ev = EslEvent.create('CHANNEL_HANGUP_COMPLETE');
  addCommonHeaders(ev, i, uuid);
  ev.addHeader('Hangup-Cause', 'NORMAL_CLEARING');
  for (const [h, name] of HANGUP_VARIABLES.entries()) ev.addHeader(name, h % 4 === 0 ? `sip:10${i % 100}@192.0.2.2;transport=udp` : String(1795328885 + h));
  return ev;
}

/** Builds the stream for `format`, about `targetBytes` long (whole frames only). */
export function buildEventStream(format: BenchFormat, targetBytes: number): EventStream {
  const source = fixturesPresent ? 'fixtures' : 'generated';
  const frames = source === 'fixtures' ? capturedEventFrames(format) : generatedEventFrames(format);
  if (frames.length === 0) throw new Error(`no ${format} event frames in ${FIXTURES_DIR}`);
  const cycleBytes = frames.reduce((n, f) => n + f.length, 0);
  const cycles = Math.max(1, Math.round(targetBytes / cycleBytes));
  const cycle = Buffer.concat(frames, cycleBytes);
  const bytes = Buffer.allocUnsafe(cycleBytes * cycles);
  for (let c = 0; c < cycles; c++) cycle.copy(bytes, c * cycleBytes);
  return { format, source, bytes, events: frames.length * cycles, distinctEvents: frames.length };
}

/** The stream as a socket would deliver it: fixed-size chunks (views, not copies). */
export function chunked(bytes: Buffer, chunkSize: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return chunks;
}
