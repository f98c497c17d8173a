/**
 * The page's controls, checked and sent through the contract: only the commands of the
 * dashboard (PAGE_COMMANDS) go out, to one node's direct lane or the api lane.
 */
import { slugNodeId } from '@fsbus/contract';
import { FsbusError } from '@fsbus/esl';
import type { DashboardBus } from './bus-port.js';
import { WebErrorCode } from './errors.js';
import { PAGE_APPS, PAGE_COMMANDS, PAGE_FIELDS, type CommandResult } from './protocol.js';

/** originate waits for the far end to answer (the agent's default ring time, 60 s, and some). */
const ORIGINATE_MIN_TIMEOUT_MS = 65_000;

export interface ParsedCommand {
  nodeId: string | undefined;
  body: Record<string, unknown>;
}

/** Checks a page request; the error result names what is wrong. */
export function parseCommand(value: unknown): ParsedCommand | CommandResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('command request must be a JSON object');
  const { node_id: node, ...body } = value as Record<string, unknown>;
  const command = body['command'];
  if (typeof command !== 'string' || !(PAGE_COMMANDS as readonly string[]).includes(command)) {
    return bad(`command must be one of ${PAGE_COMMANDS.join(', ')}`);
  }
  const allowed = PAGE_FIELDS[command as keyof typeof PAGE_FIELDS];
  const extra = Object.keys(body).find((k) => k !== 'command' && !allowed.includes(k));
  if (extra !== undefined) return bad(`${command} from the dashboard takes only ${allowed.length === 0 ? 'no fields' : allowed.join(', ')} (not ${extra})`);
  // The page plays a tone (playback); any other application (system, …) is not the dashboard's.
  if (command === 'execute_app') {
    if (!(PAGE_APPS as readonly unknown[]).includes(body['app'])) return bad(`execute_app may run only ${PAGE_APPS.join(', ')}`);
    // FreeSWITCH expands the application's data: `${system(...)}` there runs the system API.
    if (typeof body['args'] === 'string' && body['args'].includes('${')) return bad('execute_app args from the dashboard must not contain ${');
  }
  if (command === 'originate') {
    const refused = originateRefusal(body);
    if (refused !== undefined) return bad(refused);
  }
  if (node !== undefined && node !== '' && typeof node !== 'string') return bad('node_id must be a string');
  const nodeId = typeof node === 'string' && node !== '' ? slugNodeId(node) : undefined;
  return { nodeId, body };
}

export async function runCommand(bus: DashboardBus, cmd: ParsedCommand, timeoutMs: number): Promise<CommandResult> {
  const command = String(cmd.body['command']);
  try {
    const reply = await bus.request(cmd.body, cmd.nodeId, command === 'originate' ? Math.max(timeoutMs, ORIGINATE_MIN_TIMEOUT_MS) : timeoutMs);
    const out: CommandResult = { success: reply.success, message: reply.message, node_id: reply.node_id };
    if (reply.code !== undefined) out.code = reply.code;
    if (reply.data !== undefined) out.data = reply.data;
    return out;
  } catch (err) {
    // The transport's typed error (no responders, timeout, bus down) is shown as it is.
    if (err instanceof FsbusError) return { success: false, message: err.message, code: err.code };
    return { success: false, message: err instanceof Error ? err.message : String(err) };
  }
}

export function isCommandResult(v: ParsedCommand | CommandResult): v is CommandResult {
  return 'success' in v;
}

/** The legs of a dial string: `,` rings them at once, `|` one after the other, `:_:` enterprise. */
const DIAL_LEGS = /,|\||:_:/;
/**
 * mod_loopback runs what its dial string names: `loopback/app=<app>:<arg>` runs that application,
 * `loopback/<exten>/<context>/<dialplan>` takes a dialplan (`inline` runs applications).
 */
const LOOPBACK = /^loopback\//i;
const PLAIN_LOOPBACK = /^loopback\/[^/=]+(\/[^/=]+)?$/i;

/**
 * An endpoint that runs no application (a loopback leg names an extension and a context only),
 * and an `&app` extension only for an application the page may run: `&system(...)` would be
 * execute_app's `system` by another door.
 */
function originateRefusal(body: Record<string, unknown>): string | undefined {
  const endpoint = body['endpoint'];
  if (typeof endpoint === 'string' && endpoint.split(DIAL_LEGS).some((leg) => LOOPBACK.test(leg.trim()) && !PLAIN_LOOPBACK.test(leg.trim()))) {
    return "originate's endpoint from the dashboard may name a loopback extension and context only (loopback/<exten>[/<context>]), no application or dialplan";
  }
  const extension = body['extension'];
  if (typeof extension !== 'string' || !extension.trimStart().startsWith('&')) return undefined;
  const app = /^&([A-Za-z0-9_]+)(\(|$)/.exec(extension)?.[1];
  return app !== undefined && (PAGE_APPS as readonly string[]).includes(app)
    ? undefined
    : `originate's extension names a dialplan extension, or runs only ${PAGE_APPS.map((a) => `&${a}(...)`).join(', ')}`;
}


function bad(message: string): CommandResult {
  return { success: false, message, code: WebErrorCode.BAD_REQUEST };
}
