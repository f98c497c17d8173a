/**
 * Subject names of the bus (SPEC §3.1, §3.5). Every driver maps these dotted names onto its
 * broker (NATS subjects as they are, MQTT topics with `/`, …); the contract only knows the names.
 */

/** @default 'freeswitch' */
export const DEFAULT_PREFIX = 'freeswitch';
/** Longest prefix kept; mod_event_agent's cap, a guard against absurd configs. */
export const MAX_PREFIX_LENGTH = 64;
/**
 * Longest node id: `<prefix>.node.<id>` stays a short subject (nats-server drops a connection whose
 * protocol line passes 4 KiB — an agent handing a request to a 5,000-character node would be cut off).
 */
export const MAX_NODE_ID_LENGTH = 128;

/**
 * Why a configured prefix is refused (agent config, SDK connect), or undefined: over
 * MAX_PREFIX_LENGTH (refused, not cut: a cut prefix is one no client is configured with), or an
 * empty token (`fs.`, `.fs`, `a..b` make subjects like `fs..api` that nobody serves).
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return 'must not be empty';
  if (prefix.length > MAX_PREFIX_LENGTH) return `must be at most ${MAX_PREFIX_LENGTH} characters, got ${prefix.length}`;
  if (!prefix.split('.').every((t) => t !== '')) return 'must be dot-separated non-empty tokens (e.g. freeswitch or pbx.eu1), no leading, trailing or double dot';
  return undefined;
}

/**
 * Caps the prefix at 64 chars and turns every char outside `[A-Za-z0-9._-]` into `_`, so a hostile
 * config cannot inject CR/LF or wildcards into the broker's wire protocol.
 */
export function sanitizePrefix(prefix: string): string {
  const capped = prefix.slice(0, MAX_PREFIX_LENGTH).replace(/[^A-Za-z0-9._-]/g, '_');
  return capped === '' ? DEFAULT_PREFIX : capped;
}

/** node_id slug, applied on config AND on incoming requests: lowercase, outside `[a-z0-9_-]` → `_`. */
export function slugNodeId(nodeId: string): string {
  return nodeId.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
}

/**
 * Event name → subject tail: `CHANNEL_EXECUTE_COMPLETE` → `channel.execute.complete`;
 * CUSTOM `sofia::register` → `custom.sofia.register`. Subclass chars that would make a bad
 * subject token (wildcards, spaces, dots inside a token are fine) become `_`.
 */
export function eventSubjectTail(eventName: string, subclass?: string): string {
  if (eventName === 'CUSTOM' && subclass !== undefined && subclass !== '') {
    const tokens = subclass
      .toLowerCase()
      .split('::')
      .map((t) => t.replace(/[^a-z0-9_.-]/g, '_').replace(/^\.+|\.+$/g, '').replace(/\.{2,}/g, '.'))
      .filter((t) => t !== '');
    return tokens.length === 0 ? 'custom' : capTail(`custom.${tokens.join('.')}`);
  }
  const name = eventName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return capTail(name.split('_').filter((t) => t !== '').join('.')) || 'unknown';
}

/**
 * Longest event subject tail: `<prefix>.events.<tail>` (a prefix of up to 64 characters) stays
 * within the 255 characters every broker takes (AMQP's routing key, the shortest limit).
 */
export const MAX_EVENT_TAIL_LENGTH = 180;

/** A longer tail keeps its start and ends with a hash of the whole, so distinct names stay distinct. */
function capTail(tail: string): string {
  if (tail.length <= MAX_EVENT_TAIL_LENGTH) return tail;
  const hash = fnv1a32(tail).toString(16).padStart(8, '0');
  return `${tail.slice(0, MAX_EVENT_TAIL_LENGTH - hash.length - 1).replace(/\.+$/, '')}.${hash}`;
}

/** FNV-1a, 32 bits: a stable short digest in any JS runtime (the SDK's browser bundle included). */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The longest subject every broker carries. */
export const MAX_SUBJECT_LENGTH = 255;
/** The characters of a subject's tokens every broker carries (a regex class body). */
export const SUBJECT_TOKEN_CHARS = 'A-Za-z0-9_$:-';
const PUBLISHABLE = new RegExp(`^[${SUBJECT_TOKEN_CHARS}]+(\\.[${SUBJECT_TOKEN_CHARS}]+)*$`);

/**
 * A subject a message can be published to on every broker: dotted tokens of
 * SUBJECT_TOKEN_CHARS, no wildcard, no empty token, at most MAX_SUBJECT_LENGTH chars.
 */
export function isPublishableSubject(subject: string): boolean {
  return subject.length > 0 && subject.length <= MAX_SUBJECT_LENGTH && PUBLISHABLE.test(subject);
}

/** The refusal of a forward_to that is not a subject: the rule isPublishableSubject applies, spelled out. */
const FORWARD_TO_NOT_A_SUBJECT = `forward_to must be a subject: at most ${MAX_SUBJECT_LENGTH} characters of dot-separated tokens of [${SUBJECT_TOKEN_CHARS}] (no spaces, wildcards or empty tokens)`;

/**
 * Why no agent sends a copy of a reply to `subject` (a request's `forward_to`), whatever its
 * driver, or undefined: not a subject, one of the agents' own, or a broker system subject. The
 * agent checks it before running a command; the SDK before sending one (for an `async` request
 * the agent's refusal would reach nobody). A driver's narrower rule (Kafka, ZeroMQ) is its own.
 */
export function forwardToProblem(subject: string, subjects: Subjects): string | undefined {
  if (!isPublishableSubject(subject)) return FORWARD_TO_NOT_A_SUBJECT;
  if (subjects.isOwnSubject(subject)) return "forward_to may not target the agent's own subjects";
  // NATS $JS.API…/$KV…/$SYS… (MQTT $SYS/$share): a forward there is an API call made with the agent's credentials.
  if (subject.startsWith('$')) return "forward_to may not target the broker's system subjects ($…)";
  return undefined;
}

/** Every subject of one prefix. Build once per agent/client. */
export interface Subjects {
  readonly prefix: string;
  /** `<prefix>.api`: competing lane (queue group), node targeting via `node_id`. */
  readonly api: string;
  /** `<prefix>.broadcast`: every node replies. */
  readonly broadcast: string;
  /** `<prefix>.node.<id>`: one node's direct lane. */
  node(nodeId: string): string;
  /** `<prefix>.api.<id>`: alias of the direct lane. */
  apiNode(nodeId: string): string;
  /** `<prefix>.cmd.async.<command>`: fire-and-forget lane. */
  asyncCommand(command: string): string;
  /** `<prefix>.cmd.async.>`: what an agent listens on for async commands. */
  readonly asyncWildcard: string;
  /** `<prefix>.events.<tail>` for one event. */
  event(eventName: string, subclass?: string): string;
  /** `<prefix>.events.>`: every event (stream subjects, subscribers). */
  readonly eventsWildcard: string;
  /** `<prefix>.events` root, without the trailing token. */
  readonly eventsRoot: string;
  /**
   * True when `subject` belongs to this prefix's command or event space (forward_to guard):
   * `<p>.api`, `<p>.broadcast`, `<p>.node`, `<p>.cmd`, `<p>.events` or any subject below one of them, or a wildcard.
   */
  isOwnSubject(subject: string): boolean;
}

/** The agent's lane and event roots: these subjects and every one below them are its own (forward_to guard). */
const OWN_ROOTS = ['api', 'broadcast', 'node', 'cmd', 'events'] as const;

/** Distinct event subjects remembered per Subjects (names × subclasses in use are few). */
const EVENT_SUBJECT_CACHE = 1024;

export function buildSubjects(prefix: string = DEFAULT_PREFIX): Subjects {
  const p = sanitizePrefix(prefix);
  const eventsRoot = `${p}.events`;
  const ownRoots = OWN_ROOTS.map((name) => `${p}.${name}`);
  // Every published event needs its subject: computed once per name/subclass, not per event.
  const eventSubjects = new Map<string, string>();
  const event = (name: string, subclass?: string): string => {
    const key = subclass === undefined ? name : `${name}\0${subclass}`;
    let subject = eventSubjects.get(key);
    if (subject === undefined) {
      if (eventSubjects.size >= EVENT_SUBJECT_CACHE) eventSubjects.clear();
      subject = `${eventsRoot}.${eventSubjectTail(name, subclass)}`;
      eventSubjects.set(key, subject);
    }
    return subject;
  };
  return {
    prefix: p,
    api: `${p}.api`,
    broadcast: `${p}.broadcast`,
    node: (id) => `${p}.node.${slugNodeId(id)}`,
    apiNode: (id) => `${p}.api.${slugNodeId(id)}`,
    // A command name is one subject token: dots are kept (agent.status), anything else unsafe → _.
    asyncCommand: (command) => `${p}.cmd.async.${command.replace(/[^A-Za-z0-9._-]/g, '_')}`,
    asyncWildcard: `${p}.cmd.async.>`,
    event,
    eventsWildcard: `${eventsRoot}.>`,
    eventsRoot,
    isOwnSubject(subject) {
      const s = subject.trim();
      // A lane root and everything below it: Kafka produces `<p>.broadcast.x` to its root's topic,
      // the broadcast lane's, read by every agent.
      // A wildcard that could match one of ours (`>`, `freeswitch.*`, `*.api`) is refused too.
      return ownRoots.some((root) => s === root || s.startsWith(`${root}.`)) || /[*>]/.test(s);
    },
  };
}
