/** `fsbus status [--all]`: agent.status of one agent, or of every node (scatter-gather), as a table. */
import { terminalJson, terminalLine } from '@fsbus/contract';
import type { CliCommand, CliIo } from '../command.js';
import { ClientError, ClientErrorCode, DEFAULT_TIMEOUT_MS, type AgentStatus, type FsbusClient, type StatusAllResult } from '@fsbus/client';
import { ExitCode, globalHelp, runBusCommand, str, UsageError, type BusContext } from '../bus/global-options.js';
import { statusTable } from '../bus/format.js';
import { checkExpect, EXPECT_HELP, GATHER_DEFAULT_MS, parseExpect, reportMissing, reportNoReply } from '../bus/expect.js';

const HELP = `usage: fsbus status [--all] [--node <id>] [--expect <n|ids>] [--ready] [--json]

Shows agent.status: version, uptime, broker and Event Socket state, request and event counters.
Without --all or --node, any ready agent answers; with none ready (FreeSWITCH down or refusing
the ESL password: such a node leaves the shared lanes), every node is asked as with --all, its
state said on stderr, and the exit is 4. LANES: joined (takes requests for any node), left
(FreeSWITCH not ready) or cordoned (fsbus cordon; its commands in flight are said on stderr:
wait for 0 before maintenance). For monitoring, --all --expect <ids>: a node
whose agent is gone is only absent from --all (exit 0), --expect names it (exit 4); add --ready
so that a node answering with FreeSWITCH not ready fails too (without it the exit code says
only which nodes answered).
Two agents answering for one node id (a frozen agent resumed after a second started) are both
shown, named on stderr ("two agents answer as <node>: …"), and the exit is 1.

options:
  --all           ask every node (broadcast); replies are gathered for --timeout (default
                  for --all: ${GATHER_DEFAULT_MS} ms) or until --expect nodes replied. A reply that
                  is not a status is named on stderr, the others printed, and the exit is 1
${EXPECT_HELP}
  --ready         a node that answers but is not ready (its status's ready: false, what its
                  /readyz says: ESL not ready, no command connection, shared lanes not joined
                  and not cordoned) counts as missing: named on stderr with its
                  not_ready_reason, exit 4
  --node <id>     ask this node
  --json          print JSON instead of a table

examples:
  fsbus status
  fsbus status --all
  fsbus status --all --expect 3 --json
  fsbus status --all --expect fs-a,fs-b,fs-c --ready

${globalHelp(`reply timeout (env FSBUS_TIMEOUT_MS; default ${DEFAULT_TIMEOUT_MS}; --all: ${GATHER_DEFAULT_MS} of gathering)`)}`;

export const statusCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'status',
        help: HELP,
        options: { all: { type: 'boolean' }, node: { type: 'string' }, expect: { type: 'string' }, ready: { type: 'boolean' }, json: { type: 'boolean' } },
        check: (values, positionals) => {
          if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
          checkExpect(values);
        },
        async run({ values, bus, io: out, call }) {
          const node = str(values, 'node');
          const expect = parseExpect(str(values, 'expect'));
          const json = values['json'] === true;
          const ready = values['ready'] === true;
          if (values['all'] !== true) {
            try {
              const one = await bus.status(node === undefined ? {} : { node });
              out.out(json ? terminalJson(one) : statusTable([one]));
              if (!json) reportCordoned([one], out);
              return ready && reportNotReady([one], out) ? ExitCode.NO_ANSWER : ExitCode.OK;
            } catch (err) {
              // No responders on the shared lane: no agent, or none with FreeSWITCH ready (those
              // leave it but still answer the broadcast). Asked there, they say which.
              if (node !== undefined || !(err instanceof ClientError) || err.code !== ClientErrorCode.NO_RESPONDERS) throw err;
              const code = await noneReady(values, bus, out, json);
              if (code === undefined) throw err;
              return code;
            }
          }
          const statuses = await bus.statusAll({
            ...gatherWindow(values),
            ...(expect === undefined ? {} : { expect }),
            ...(node === undefined ? {} : { node }),
          });
          const bad = statuses.badReplies;
          const failed = statuses.failures;
          // A second agent answering for one node id: shown, not hidden (its rows next to the first's).
          const conflicts = await nodeIdConflicts(bus, statuses, expect !== undefined, node, call.timeoutMs ?? GATHER_DEFAULT_MS);
          for (const c of conflicts) statuses.splice(statuses.indexOf(c[0]!) + 1, 0, ...c.slice(1));
          if (statuses.length === 0 && bad.length === 0 && failed.length === 0) {
            // --json: an empty array, so `jq length` reads 0 rather than nothing.
            if (json) out.out('[]');
            reportNoReply('status', call.timeoutMs ?? GATHER_DEFAULT_MS, out);
            return ExitCode.NO_ANSWER;
          }
          // Said after the rest below: a script checking --expect gets exit 4, whatever else happened.
          // --ready: a node that answered but is not ready is missing too (named with why).
          const missing = (code: number): number => {
            const absent = reportMissing('status', statuses, expect, out);
            const unready = ready && reportNotReady(statuses, out);
            return absent || unready ? ExitCode.NO_ANSWER : reportConflicts(conflicts, out) ? ExitCode.FAILED : code;
          };
          if (statuses.length > 0) out.out(json ? terminalJson(statuses) : statusTable(statuses));
          if (!json) reportCordoned(statuses, out);
          // A node that answered with an error (busy, shutting down) is named, not left out; what
          // it said is whatever answered on the broadcast subject: escaped.
          for (const f of failed) out.err(terminalLine(`fsbus status: ${f.nodeId}: ${f.code}: ${f.message}`));
          if (bad.length === 0) return missing(failed.length === 0 ? ExitCode.OK : ExitCode.FAILED);
          // The nodes that did answer are shown; one that answered what cannot be read is a failure
          // to see, not to hide (scripts get exit 1).
          for (const b of bad) out.err(terminalLine(`fsbus status: ${b.error.code}: ${b.error.message}`));
          out.err(`hint: ${bad.length} of ${statuses.length + failed.length + bad.length} replies could not be read: is something other than an fsbus agent answering on ${bus.subjects.broadcast}, or an agent sending no full status?`);
          return missing(ExitCode.FAILED);
        },
      },
      argv,
      io,
    ),
};

/** Who an agent is in its status or its `node_id_conflict`: `instance_id`, else host and pid (an older agent's). */
const instanceOf = (r: Record<string, unknown>): string => (typeof r['instance_id'] === 'string' ? r['instance_id'] : `${text(r['hostname'])}/${String(r['pid'])}`);

/** `host pid N` of an agent's status or of a status's `node_id_conflict`. */
function who(r: Record<string, unknown>): string {
  return `${text(r['hostname'])}${typeof r['pid'] === 'number' ? ` pid ${r['pid']}` : ''}`;
}

/**
 * The nodes two or more agents answer for, each as its statuses (the one statusAll listed first,
 * then its `otherAgents`: the SDK tells a second agent from a copy the broker delivered twice). An
 * agent saying a conflict whose other answer was not heard is still one: its own status names the
 * other. With --expect the gather ended at each node's first answer: when an agent names another
 * not heard, every node is asked again for the window, for that one's row.
 */
async function nodeIdConflicts(bus: FsbusClient, statuses: StatusAllResult, expected: boolean, node: string | undefined, timeoutMs: number): Promise<AgentStatus[][]> {
  const byNode = new Map<string, AgentStatus[]>(statuses.map((s) => [s.node_id, [s]]));
  const add = (s: AgentStatus): void => {
    const seen = byNode.get(s.node_id);
    if (seen !== undefined && !seen.some((x) => instanceOf(x) === instanceOf(s))) seen.push(s);
  };
  for (const s of statuses.otherAgents) add(s);
  const unheard = (list: readonly AgentStatus[]): boolean => {
    const other = conflictOf(list[0]!);
    return other !== undefined && !list.some((x) => instanceOf(x) === instanceOf(other));
  };
  if (expected && [...byNode.values()].some(unheard)) {
    try {
      const again = await bus.statusAll({ timeoutMs, ...(node === undefined ? {} : { node }) });
      for (const s of [...again, ...again.otherAgents]) add(s);
    } catch {
      // The first gather's answers stand; the agents' own word (node_id_conflict) still counts.
    }
  }
  return [...byNode.values()].filter((list) => list.length > 1 || conflictOf(list[0]!) !== undefined);
}

/** A status's `node_id_conflict` (the agent found another answering for its node id). */
function conflictOf(s: AgentStatus): Record<string, unknown> | undefined {
  const c = (s as unknown as Record<string, unknown>)['node_id_conflict'];
  return c !== null && typeof c === 'object' ? (c as Record<string, unknown>) : undefined;
}

/** Names on stderr each node two agents answer for; true when some. */
function reportConflicts(conflicts: readonly AgentStatus[][], io: CliIo): boolean {
  for (const list of conflicts) {
    const id = list[0]!.node_id;
    const names = list.map((s) => who(s as unknown as Record<string, unknown>));
    // Only one heard again: the other is the one its status names.
    const other = conflictOf(list[0]!);
    if (list.length === 1 && other !== undefined) names.push(`${who(other)} (named by its node_id_conflict since ${text(other['since'])})`);
    const count = names.length === 2 ? 'two' : String(names.length);
    // Node ids and hosts are whatever answered on the broadcast subject: escaped.
    io.err(terminalLine(`fsbus status: ${count} agents answer as ${id}: ${names.slice(0, -1).join(', ')} and ${names.at(-1)!}: commands to ${id} go to either`));
  }
  if (conflicts.length === 0) return false;
  io.err('hint: give each FreeSWITCH its own node_id (FSBUS_NODE_ID) and stop the agent that has the wrong one; a frozen agent (SIGSTOP, a long pause) that resumed after the second started is one way to get there');
  return true;
}

/** Gathering waits the whole window unless --expect is met: short by default (an empty FSBUS_TIMEOUT_MS is unset, as everywhere). */
function gatherWindow(values: BusContext['values']): { timeoutMs?: number } {
  return str(values, 'timeout') === undefined && (process.env['FSBUS_TIMEOUT_MS'] ?? '').trim() === '' ? { timeoutMs: GATHER_DEFAULT_MS } : {};
}

/** `status.<part>.<key>` as sent (a status from elsewhere may lack it). */
const field = (s: AgentStatus, part: string, key: string): unknown => {
  const value = (s as unknown as Record<string, unknown>)[part];
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
};
const text = (v: unknown): string => (typeof v === 'string' ? v : '?');

/** Why an older agent (no `ready` in its status) is off the shared lanes, from its fields: `ESL reconnecting, FreeSWITCH refused the ESL password when last asked (…)`. */
function notReadyReason(s: AgentStatus): string {
  const parts = [`ESL ${text(field(s, 'esl', 'status'))}`];
  // The agent keeps FreeSWITCH's last answer to the password, also while it is unreachable since.
  if (field(s, 'esl', 'auth') === 'refused') parts.push('FreeSWITCH refused the ESL password when last asked (check FSBUS_ESL_PASSWORD)');
  if (field(s, 'shared_lanes', 'cordoned') === true) parts.push('cordoned');
  else if (field(s, 'esl', 'status') === 'ready') parts.push(`shared lanes ${text(field(s, 'shared_lanes', 'state'))}`);
  return parts.join(', ');
}

/**
 * Why a node that answered is not ready, in its /readyz's words; undefined when ready. The agent
 * says so itself (`ready`, `not_ready_reason`); only an older agent's status, without `ready`, is
 * judged here from its fields.
 */
function notReady(s: AgentStatus): string | undefined {
  if (typeof s.ready === 'boolean') return s.ready ? undefined : typeof s.not_ready_reason === 'string' ? s.not_ready_reason : 'not ready';
  return olderAgentNotReady(s);
}

/**
 * An older agent's status (no `ready`): its rule rebuilt (Agent.ready: ESL events ready and
 * subscribed, a command connection, the shared lanes joined or cordoned). A field the status lacks
 * is not held against it.
 */
function olderAgentNotReady(s: AgentStatus): string | undefined {
  const esl = field(s, 'esl', 'status');
  const commands = field(s, 'esl', 'command_connections_ready');
  const subscription = field(s, 'esl', 'events_subscription');
  const lanes = field(s, 'shared_lanes', 'state');
  const problems: string[] = [];
  if (esl !== 'ready') return notReadyReason(s);
  if (typeof commands === 'number' && commands < 1) problems.push('no ESL command connection ready');
  if (typeof subscription === 'string' && subscription !== 'none' && subscription !== 'confirmed') problems.push(`events subscription ${subscription}`);
  if (lanes !== undefined && field(s, 'shared_lanes', 'cordoned') !== true && lanes !== 'joined') problems.push(`shared lanes ${text(lanes)}`);
  return problems.length === 0 ? undefined : `ESL ready, ${problems.join(', ')}`;
}

/** A node's line when none is ready: the agent's own readiness and reason, or an older agent's fields. */
function nodeState(s: AgentStatus): string {
  if (typeof s.ready !== 'boolean') return notReadyReason(s);
  // Ready meanwhile (FreeSWITCH back between the two asks) or cordoned: its lanes say which.
  const lanes = field(s, 'shared_lanes', 'cordoned') === true ? 'cordoned' : `shared lanes ${text(field(s, 'shared_lanes', 'state'))}`;
  return s.ready ? `ready, ${lanes}` : (notReady(s) ?? 'not ready');
}

/**
 * Under the table, on stderr: each cordoned node's commands in flight (`counters.in_flight`), what
 * the operator waits to see at 0 before maintenance. A line, not a column: the table has no room
 * left within 100 columns. Nothing for an agent whose status lacks the count.
 */
function reportCordoned(statuses: readonly AgentStatus[], io: CliIo): void {
  for (const s of statuses) {
    const n = field(s, 'counters', 'in_flight');
    if (field(s, 'shared_lanes', 'cordoned') !== true || typeof n !== 'number') continue;
    const count = `${n} command${n === 1 ? '' : 's'} in flight (counters.in_flight)`;
    // Node ids are whatever answered on the broadcast subject: escaped.
    io.err(terminalLine(`fsbus status: ${s.node_id} is cordoned, ${count}${n === 0 ? '' : ': wait for 0 before working on its FreeSWITCH'}`));
  }
}

/** --ready: names on stderr the nodes that answered but are not ready, with why; true when some are not. */
function reportNotReady(statuses: readonly AgentStatus[], io: CliIo): boolean {
  const unready = statuses.map((s) => [s.node_id, notReady(s)] as const).filter((x): x is readonly [string, string] => x[1] !== undefined);
  if (unready.length === 0) return false;
  // Node ids and states are whatever answered on the broadcast subject: escaped.
  io.err(terminalLine(`fsbus status: not ready: ${unready.map(([id, why]) => `${id} (${why})`).join(', ')} (--ready)`));
  io.err("hint: such a node answers but takes no request on the shared lanes; its /readyz says why (FreeSWITCH down, the ESL password refused…)");
  return true;
}

/**
 * `fsbus status` found no responders on the shared lane: every node is asked on the broadcast
 * (served ready or not) and shown, with why it is not ready; exit 4, as no agent answered there.
 * `undefined` when no node answers there either: the no-responders error stands.
 */
async function noneReady(values: BusContext['values'], bus: FsbusClient, io: CliIo, json: boolean): Promise<number | undefined> {
  const statuses = await bus.statusAll(gatherWindow(values));
  const failed = statuses.failures;
  if (statuses.length === 0 && failed.length === 0) return undefined;
  if (statuses.length > 0) io.out(json ? terminalJson(statuses) : statusTable(statuses));
  if (!json) reportCordoned(statuses, io);
  // Exit 4 even when one joined meanwhile (FreeSWITCH back between the two asks; its line says
  // `ready, shared lanes joined`): this path prints the --all shape, which a script must not take for a success.
  io.err(`fsbus status: no agent is ready on ${bus.subjects.api} (the shared lane); the nodes on ${bus.subjects.broadcast}:`);
  // Node ids, codes and messages are whatever answered on the broadcast subject: escaped.
  for (const s of statuses) io.err(terminalLine(`  ${s.node_id}: ${nodeState(s)}`));
  for (const f of failed) io.err(terminalLine(`  ${f.nodeId}: ${f.code}: ${f.message}`));
  for (const b of statuses.badReplies) io.err(terminalLine(`  ${b.error.code}: ${b.error.message}`));
  io.err("hint: a node serves the shared lanes only while its FreeSWITCH is ready (ESL up, password accepted) and it is not cordoned; its /readyz says why not");
  return ExitCode.NO_ANSWER;
}
