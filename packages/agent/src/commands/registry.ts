/**
 * The command registry: built-in commands by name, anything else goes to the generic API
 * fallback. The call-control issue adds originate, execute_app and dialplan.* here.
 */
import type { BusRequest } from '@fsbus/contract';
import type { BusErrorCode } from '@fsbus/contract';

/** What a command produces; the dispatcher wraps it in the envelope. */
export type CommandResult =
  | { ok: true; message: string; data?: unknown }
  | { ok: false; code: BusErrorCode; message: string; data?: unknown };

/**
 * Every built-in command's name (the agent registers exactly these; test/config-command-lists):
 * what the config check of the verb lists knows before any registry exists.
 */
export const BUILTIN_COMMAND_NAMES: readonly string[] = [
  'agent.status',
  'agent.cordon',
  'agent.uncordon',
  'hangup',
  'originate',
  'execute_app',
  'dialplan.enable',
  'dialplan.disable',
  'dialplan.audio',
  'dialplan.autoanswer',
  'dialplan.timeout',
  'dialplan.status',
];

/** Built-in names that are FreeSWITCH API names too (`ORIGINATE`, `bgapi originate …` reach the API). */
export const BUILTINS_NAMED_LIKE_AN_API: readonly string[] = ['originate'];

/** The verb lists in force, lowercased as they are matched (agent.status `command_policy`). */
export interface CommandPolicy {
  readonly denylist: readonly string[];
  readonly allowlist: readonly string[];
}

/** What a command may use from the agent. */
export interface CommandContext {
  readonly nodeId: string;
  /** Came on this node's own lane (`<prefix>.node.<id>`, `<prefix>.api.<id>`): its subject names this node. @default false */
  readonly ownLane?: boolean;
  /** Milliseconds this command may take. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** `api <cmd>` on a pool connection; throws BusError(FREESWITCH_UNAVAILABLE) when FreeSWITCH is away. */
  api(command: string): Promise<string>;
  /** `bgapi <cmd>`; resolves with the BACKGROUND_JOB body. */
  bgapi(command: string, jobUuid?: string): Promise<{ jobUuid: string; body: string }>;
  /** The agent.status snapshot (with `command_policy`, the verb lists this node applies). */
  status(): Record<string, unknown>;
}

export interface CommandHandler {
  readonly name: string;
  run(request: BusRequest, ctx: CommandContext): Promise<CommandResult>;
  /** The wait when the request sets no `timeout_ms`. @default the configured command timeout */
  waitMs?(request: BusRequest, configuredMs: number): number;
  /**
   * Answers from the agent's own state, never waiting on FreeSWITCH: served past `max_in_flight`,
   * so a busy node still says it is alive (a status poll refused as busy reads as a node gone).
   */
  readonly local?: true;
}

export class CommandRegistry {
  readonly #handlers = new Map<string, CommandHandler>();
  readonly #fallback: CommandHandler;

  constructor(fallback: CommandHandler) {
    this.#fallback = fallback;
  }

  register(handler: CommandHandler): this {
    this.#handlers.set(handler.name, handler);
    return this;
  }

  /** Built-in commands are matched exactly (mod_event_agent did too). */
  isBuiltin(command: string): boolean {
    return this.#handlers.has(command.trim());
  }

  resolve(command: string): CommandHandler {
    return this.#handlers.get(command.trim()) ?? this.#fallback;
  }

  get names(): string[] {
    return [...this.#handlers.keys()];
  }
}

/** FreeSWITCH's failure markers at the start of an api reply. */
export function isFsError(output: string): boolean {
  const t = output.trimStart();
  return t.startsWith('-ERR') || t.startsWith('-USAGE');
}
