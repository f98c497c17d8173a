/**
 * The filter a durable consumer (a consumer group) was made with. The driver filters a stream on
 * the client and commits past what does not match, so a second filter under one name would skip
 * the first one's events for good: the name belongs to its filter, and another one is refused.
 *
 * The record lives in the group itself, where Kafka keeps the durable's position: the metadata
 * string of the group's committed offset for partition 0 of `fsbus.streams` (a topic the group
 * never reads, so no commit of its own overwrites it), JSON `{"fsbus-filters":{"<stream>":"<filter>"}}`
 * ('' = every subject; one group may read several streams). The library commits with null
 * metadata only, so the record is written with Kafka's OffsetCommit itself, as a group-less
 * ("simple") commit: accepted while the group has no member — at the start of a durable and after
 * it stops. Deleting the group deletes the record with it.
 */
import {
  FindCoordinatorKeyTypes,
  offsetCommitV2,
  offsetCommitV3,
  offsetCommitV4,
  offsetCommitV5,
  offsetCommitV6,
  offsetCommitV7,
  offsetCommitV8,
  offsetCommitV9,
  type Admin,
} from '@platformatic/kafka';
import type { DriverLogger } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { durableFilterRefused } from '../../durable-filter.js';

const RECORD_KEY = 'fsbus-filters';
/** OffsetCommit versions with one request shape (group, generation, member, instance, topics). */
const OFFSET_COMMIT = [offsetCommitV2, offsetCommitV3, offsetCommitV4, offsetCommitV5, offsetCommitV6, offsetCommitV7, offsetCommitV8, offsetCommitV9];
/** Kafka's answers to a group-less commit while the group has members. */
const GROUP_IN_USE = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS']);

type Filters = Record<string, string>;

/** A durable consumer: its group (the durable name), its stream, its filter ('' = every subject). */
export interface Durable {
  group: string;
  stream: string;
  filter: string;
}

function parseRecord(metadata: string | null | undefined): Filters {
  if (metadata === null || metadata === undefined || metadata === '') return {};
  try {
    const v = (JSON.parse(metadata) as Record<string, unknown> | null)?.[RECORD_KEY];
    if (v === null || typeof v !== 'object') return {};
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/** `topic`: where the record is kept, the streams registry (fsbus.streams). */
async function readRecord(admin: Admin, topic: string, group: string): Promise<Filters> {
  const groups = await admin.listConsumerGroupOffsets({ groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [0] }] }] });
  const partition = groups[0]?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === 0);
  return partition === undefined || partition.committedOffset < 0n ? {} : parseRecord(partition.metadata);
}

/** Whether the metadata is an fsbus record at all (one with no filter left is still fsbus's). */
function isRecord(metadata: string | null | undefined): boolean {
  try {
    const v = JSON.parse(metadata ?? '') as Record<string, unknown> | null;
    return v !== null && typeof v === 'object' && typeof v[RECORD_KEY] === 'object' && v[RECORD_KEY] !== null;
  } catch {
    return false;
  }
}

/** The group's record, and the topics it has committed offsets of (it exists and has read something). */
async function readGroup(admin: Admin, topic: string, group: string): Promise<{ filters: Filters; marked: boolean; committed: Set<string> }> {
  const [found] = await admin.listConsumerGroupOffsets({ groups: [group] });
  let record: { metadata: string | null | undefined } | undefined;
  const committed = new Set<string>();
  for (const t of found?.topics ?? []) {
    for (const p of t.partitions) {
      if (p.committedOffset < 0n) continue;
      if (t.name === topic && p.partitionIndex === 0) record = p;
      else committed.add(t.name);
    }
  }
  return { filters: parseRecord(record?.metadata), marked: record !== undefined && isRecord(record.metadata), committed };
}

/** The newest OffsetCommit both the broker (asked through `client`) and this driver speak. */
export async function offsetCommitApi(client: Pick<Admin, 'listApis'>): Promise<(typeof OFFSET_COMMIT)[number]['api']> {
  const offered = (await client.listApis()).find((a) => a.name === 'OffsetCommit');
  const api = OFFSET_COMMIT.filter((m) => offered !== undefined && m.api.version >= offered.minVersion && m.api.version <= offered.maxVersion).pop()?.api;
  if (api === undefined) throw new Error('the broker offers no OffsetCommit version this driver can send');
  return api;
}

/** A partition-0 position to commit with the record, in the same request (`offset` read when needed). */
export interface StartAt {
  topic: string;
  offset: () => Promise<bigint>;
}

async function writeRecord(admin: Admin, topic: string, group: string, filters: Filters, start?: { topic: string; offset: bigint }): Promise<void> {
  const api = await offsetCommitApi(admin);
  const coordinator = (await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [group] })).find((c) => c.key === group);
  if (coordinator === undefined) throw new Error(`no coordinator for group ${group}`);
  const connection = await admin.connections.get({ host: coordinator.host, port: coordinator.port });
  const committedMetadata = JSON.stringify({ [RECORD_KEY]: filters });
  const topics = [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata }] }];
  if (start !== undefined) topics.push({ name: start.topic, partitions: [{ partitionIndex: 0, committedOffset: start.offset, committedLeaderEpoch: -1, committedMetadata: '' }] });
  await api.async(connection, group, -1, '', null, topics);
}

/** A group-less commit refused because the group has members (another consumer of the name runs). */
function groupInUse(err: unknown): boolean {
  const errors = (err as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.some((e) => GROUP_IN_USE.has((e as { apiId?: unknown } | null)?.apiId as string));
}

/**
 * Writes (again) the durable's filter into its group, keeping the other streams' entries, with
 * `start`'s position when given. Never fails; resolves whether it was written: a group in use by
 * another member keeps the record it has; anything else is logged.
 */
export async function recordDurableFilter(admin: Admin, topic: string, durable: Durable, logger: DriverLogger | undefined, known?: Filters, start?: StartAt): Promise<boolean> {
  const { group, stream, filter } = durable;
  try {
    const filters = known ?? (await readRecord(admin, topic, group));
    const position = start === undefined ? undefined : { topic: start.topic, offset: await start.offset() };
    await writeRecord(admin, topic, group, { ...filters, [stream]: filter }, position);
    return true;
  } catch (err) {
    if (groupInUse(err)) logger?.debug({ err, group }, 'durable filter not recorded: the group is in use');
    else logger?.warn({ err, group, stream }, 'durable filter not recorded');
    return false;
  }
}

/**
 * Refuses the durable name when its group was made for another filter of this stream (as the NATS
 * driver refuses it), or was not made by fsbus at all: committed offsets without the record are
 * another application's group (taking it over would move its position). Otherwise records this
 * filter and returns. A group without committed offsets is new (or emptied by Kafka's offset
 * expiry, which takes its record with it): fsbus makes it. Durables of the builds before the record
 * (before 2026-12-05) are refused as unmarked too: they cannot be told from another application's.
 * Resolves whether the group has a position in `start`'s topic now (true without `start`): false
 * when it had none and the commit was refused (the group in use by another member) or failed.
 */
export async function claimDurableFilter(admin: Admin, topic: string, durable: Durable, logger: DriverLogger | undefined, start?: StartAt): Promise<boolean> {
  const { group, stream, filter } = durable;
  let found: Awaited<ReturnType<typeof readGroup>>;
  try {
    found = await readGroup(admin, topic, group);
  } catch (err) {
    throw new TransportError(TransportErrorCode.BROKER, `cannot consume stream ${stream}: cannot read durable consumer '${group}': ${(err as Error).message}`, { cause: err });
  }
  const { filters } = found;
  if (found.committed.size > 0 && !found.marked) {
    throw new TransportError(
      TransportErrorCode.BROKER,
      `cannot consume stream ${stream}: the durable name '${group}' is the Kafka consumer group '${group}', which has committed offsets but is not one fsbus made (another application's consumer group?): use another durable name, or delete the group (kafka-consumer-groups.sh --delete --group ${group}) to let fsbus make it`,
    );
  }
  const had = filters[stream];
  if (had !== undefined && had !== filter) {
    throw durableFilterRefused(group, stream, had, filter, `delete the consumer group (kafka-consumer-groups.sh --delete --group ${group})`);
  }
  // Written at every start: an offset of a topic the group does not read expires
  // (offsets.retention.minutes) counted from its commit while the group is in use. A group with
  // no position in `start`'s topic yet gets that one in the same request (never a position
  // without the record).
  const positionless = start !== undefined && !found.committed.has(start.topic);
  const recorded = await recordDurableFilter(admin, topic, durable, logger, filters, positionless ? start : undefined);
  return !positionless || recorded;
}
