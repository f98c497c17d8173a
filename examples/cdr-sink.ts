/**
 * CDR sink: one JSON line per finished channel leg (CHANNEL_HANGUP_COMPLETE), as FreeSWITCH's own
 * CDR modules write them, read as a durable consumer of the agent's event stream — a sink that was
 * down resumes where it stopped.
 *
 * Which line to bill: a call has one `leg: "a"` line — the leg the call began with (an inbound call,
 * or the leg an originate placed) — and a `leg: "b"` line for each leg FreeSWITCH dialled for it (a
 * `bridge`, `uuid_bridge`: its events carry `Other-Type: originator`, by which mod_cdr_csv's
 * default `legs=a` leaves it out). Both carry `call_uuid`, the a leg's uuid, and `other_leg_uuid`, the leg
 * paired with them (`Other-Leg-Unique-ID`; null for a leg never bridged). Bill each call once, from
 * its a line: caller, destination, answer and billsec. A b line's billsec is the time since the
 * callee answered; take it for a rate that starts there instead of the a line's, never as well:
 * summing a call's lines bills it twice. (A `loopback/` call is two calls to FreeSWITCH, its -a and
 * -b legs, each an a line.) The caller is the number the call was placed with
 * (`Caller-Orig-Caller-ID-Number`): an originated leg's `Caller-Caller-ID-Number` is flipped to the
 * callee once it answers (docs/call-control.md).
 * Needs the agent's event stream (`events.stream.enabled`, on in `fsbus demo`): JetStream on NATS,
 * a Redis stream on Redis (`FSBUS_BROKER_URL=redis://…`), a topic on Kafka.
 *   node --conditions=source --import tsx examples/cdr-sink.ts >> cdrs.jsonl
 * Its first run reads the whole stream (its retention, 24 h by default) from the start: pass
 * add `from: 'new'` to the options below for a sink that should begin with the next call.
 *
 * At least once: an event is acknowledged when the loop asks for the next one, after its line is
 * written, so a sink that dies mid-write gets that leg again; a line may then repeat in the
 * file (within one run the sink skips a leg uuid it already wrote; across runs dedupe on `uuid`,
 * as a database's unique key on it would). Not first, nor in order: the calls a killed sink had
 * received and not acknowledged come back only once the broker's ack wait is over (JetStream's
 * `ack_wait`, ≈30 s), after newer ones — order the file by the CDR's own times, not its lines.
 *
 * The bus cannot deliver what never reached it or was removed: a node whose agent restarted
 * (`fsbus::agent_start`: from the last event the sink saw from that node to the agent_start) or
 * lost FreeSWITCH's event socket (`fsbus::events_resumed`, from its `FSBus-Events-Lost-Since`), a
 * stream whose retention removed CDRs before the sink read them (a stream gap), a stream the
 * broker lost (restarted without its store: a gap without `lost`, from its `lostAt`), events an agent
 * dropped while its broker was away (`fsbus::events_dropped`, Since to Until: a bound, some may
 * have arrived). Each is logged on stderr with its window: FreeSWITCH's own CDR modules
 * (mod_cdr_csv / mod_xml_cdr) are the source of truth for those windows — take their records for
 * them, deduped by call uuid against what the sink wrote (never re-imported blindly).
 *
 * The patterns are part of the durable name: this one subscribes to both from its first run (a
 * `cdr-sink` durable made with another pattern list is refused; delete it or pick another name).
 * With two patterns the broker cannot filter for it: the durable reads every event of the stream
 * and the client keeps these (fine at a sink's rates; at high ones, read `custom.fsbus.>` with a
 * durable of its own).
 */
import { connect } from '@fsbus/client';

const bus = await connect({ servers: process.env['FSBUS_BROKER_URL'] ?? 'nats://127.0.0.1:4222' });
const events = bus.events(['channel.hangup.complete', 'custom.fsbus.>'], {
  durable: 'cdr-sink',
  onGap: (gap) => {
    const where = gap.lost === undefined ? `from ${gap.lostAt.toISOString()} to ${gap.restoredAt.toISOString()}` : `stream positions ${gap.lost.from}-${gap.lost.to}, up to ${gap.lost.count} events`;
    console.error(`cdr-sink: events lost (${where}): take the CDRs of that window from FreeSWITCH's CDR files`);
  },
});
process.once('SIGINT', () => void events.close());
await events.ready;
console.error('cdr-sink: writing one line per finished leg, bill the a lines (Ctrl-C to stop)');

/** Leg uuids written in this run, the latest ones (a redelivered CDR is skipped). */
const written = new Set<string>();
const REMEMBERED = 100_000;
let lines = 0;
let duplicates = 0;
/** Per node, the timestamp (µs) of the last event read from it: where an agent_start's window begins. */
const lastSeen = new Map<string, number>();
/** µs epoch as ISO; unknown when absent (an agent_start from a node the sink had not heard from in this run). */
const iso = (us: number | undefined): string => (us === undefined || !Number.isFinite(us) ? 'an unknown time' : new Date(us / 1000).toISOString());

for await (const e of events) {
  const previous = lastSeen.get(e.nodeId);
  lastSeen.set(e.nodeId, e.timestamp);
  if (e.subclass === 'fsbus::agent_start' || e.subclass === 'fsbus::events_resumed') {
    // agent_start carries no Lost-Since: what the sink missed began after the last event it read from that node.
    const since = e.subclass === 'fsbus::agent_start' ? previous : Number(e.header('FSBus-Events-Lost-Since'));
    console.error(`cdr-sink: node ${e.nodeId} (${e.subclass}) may have missed events since ${iso(since)} until ${e.date.toISOString()}: take the CDRs of that window from FreeSWITCH's CDR files`);
    continue;
  }
  if (e.subclass === 'fsbus::events_dropped') {
    // A bound: events the agent dropped, or (on NATS) wrote into a dying connection — some may have arrived.
    const us = (name: string): string => iso(Number(e.header(name)));
    console.error(`cdr-sink: node ${e.nodeId} dropped at most ${e.header('FSBus-Events-Dropped') ?? '?'} events (${e.header('FSBus-Hangups-Dropped') ?? '?'} of them hangups, some maybe delivered) from ${us('FSBus-Events-Dropped-Since')} to ${us('FSBus-Events-Dropped-Until')}: reconcile that window with FreeSWITCH's CDR files by call uuid`);
    continue;
  }
  if (e.name !== 'CHANNEL_HANGUP_COMPLETE' || e.uuid === undefined) continue;
  if (written.has(e.uuid)) {
    duplicates++;
    continue;
  }
  // A leg another leg created carries that originator's profile (Other-Type, Other-Leg-*) to its end.
  const other = e.header('Other-Leg-Unique-ID');
  const b = e.header('Other-Type') === 'originator' && other !== undefined;
  const cdr = {
    uuid: e.uuid,
    call_uuid: b ? other : e.uuid,
    leg: b ? 'b' : 'a',
    other_leg_uuid: other ?? null,
    node: e.nodeId,
    direction: e.direction,
    caller: e.header('Caller-Orig-Caller-ID-Number') ?? e.callerIdNumber,
    destination: e.destinationNumber,
    cause: e.hangupCause,
    start: e.variable('start_stamp'),
    answer: e.variable('answer_stamp'),
    end: e.variable('end_stamp'),
    billsec: Number(e.variable('billsec') ?? 0),
    duration: Number(e.variable('duration') ?? 0),
  };
  // Written before the loop asks for the next event, which is what acknowledges this one.
  process.stdout.write(`${JSON.stringify(cdr)}\n`);
  lines++;
  written.add(e.uuid);
  if (written.size > REMEMBERED) written.delete(written.values().next().value!);
}
// A durable consumer's buffer does not overflow (the broker holds back), so `dropped` stays 0 here
// — unless the stream's retention removes events the consumer has not acknowledged (docs/client.md).
console.error(`cdr-sink: stopped; ${lines} legs written, ${duplicates} repeated skipped, ${events.dropped} dropped, ${events.gaps} gaps`);
await bus.close();
