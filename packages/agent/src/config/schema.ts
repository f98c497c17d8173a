/**
 * The agent's configuration: one zod schema, every default here (STYLE §5). Field names are the
 * file's (snake_case, like mod_event_agent's params); env vars map onto them in load-config.ts.
 */
import { z } from 'zod';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_PREFIX, MAX_NODE_ID_LENGTH, prefixProblem } from '@fsbus/contract';
import { DEFAULT_LIVENESS_MS, DEFAULT_MAX_PENDING, isEventName, MAX_TIMER_MS } from '@fsbus/esl';
import { defaultBrokerUrl, driverForUrls, streamRetention, DRIVER_NAMES } from '@fsbus/transport';
import { DEFAULT_MAX_WATCHES } from '../commands/execute-completions.js';
import { BUILTIN_COMMAND_NAMES, BUILTINS_NAMED_LIKE_AN_API } from '../commands/registry.js';
import { DEFAULT_TURN_BATCH } from '../freeswitch-link.js';
import { forwardToPatternProblem } from '../forward-to-policy.js';
import { replyToDriverProblem } from '../reply-to-policy.js';
import { brokerUrlProblem } from '@fsbus/transport';

const list = z.union([z.string(), z.array(z.string())]).transform((v) =>
  (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''),
);
/**
 * true/false also as env strings (z.coerce.boolean would turn "false" into true). A refusal names
 * the accepted words (a union's own message is "Invalid input").
 */
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])], { error: 'expected true or false (also 1/0, yes/no, on/off)' })
  .transform((v) => (typeof v === 'boolean' ? v : ['true', '1', 'yes', 'on'].includes(v)));
/**
 * A whole number: a JSON/YAML number or a string of digits (env vars). Not z.coerce.number, which
 * turns null (a YAML key left empty), '', false and [] into 0, true into 1 and "0x1F" into 31.
 */
const whole = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .union([z.number(), z.string().regex(/^\s*\d+\s*$/).transform(Number)], { error: 'expected a whole number' })
    .pipe(z.number().int().min(min).max(max));
const port = whole(0, 65535);
/** Milliseconds a timer waits. */
const ms = whole(1, MAX_TIMER_MS);
/**
 * Event names as the include/exclude lists take them (case-insensitive): FreeSWITCH's names, `ALL`,
 * `CUSTOM` (every subclass) or `CUSTOM::<subclass>`. A typo would silently publish nothing.
 */
const eventList = list.superRefine((entries, ctx) => {
  for (const [i, entry] of entries.entries()) {
    const upper = entry.toUpperCase();
    const ok = upper.startsWith('CUSTOM::') ? /^\S+$/.test(entry.slice('CUSTOM::'.length)) : isEventName(upper);
    if (!ok) ctx.addIssue({ code: 'custom', path: [i], message: `unknown event name '${entry}' (FreeSWITCH's names, ALL, CUSTOM or CUSTOM::<subclass>)` });
  }
});
const positive = whole(1);
/** forward_to and reply_to subject patterns (NATS-style `*`, `>`): one that is not a pattern would match nothing. */
const subjectPatternList = list.superRefine((entries, ctx) => {
  for (const [i, entry] of entries.entries()) {
    const problem = forwardToPatternProblem(entry);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: problem });
  }
});
/**
 * Why a verb-list entry can never match, or undefined: the lists are matched by whole name, and an
 * entry no command could have (`"system bg_system"`, `uuid_*`) was silently never matched.
 */
function verbEntryProblem(entry: string): string | undefined {
  if (/\s/.test(entry)) return `one verb per entry, got '${entry}' (separate verbs with commas)`;
  if (/[*?[\]]/.test(entry)) return `'${entry}' is not a command name: the lists take whole names, no patterns (list each: uuid_kill, uuid_transfer, …)`;
  // FreeSWITCH API names are letters, digits and `_` (a module's may have `-`); built-ins add `.`.
  if (!/^[A-Za-z0-9_.-]+$/.test(entry)) return `'${entry}' is not a command name: FreeSWITCH API names and the agent's built-in command names are letters, digits, _, - and .`;
  return undefined;
}
const verbList = list.superRefine((entries, ctx) => {
  for (const [i, entry] of entries.entries()) {
    const problem = verbEntryProblem(entry);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: problem });
  }
});
/** Built-ins the allowlist could never admit or refuse: it governs FreeSWITCH verbs (the generic API) only. */
const BUILTIN_ONLY_NAMES = new Set(BUILTIN_COMMAND_NAMES.filter((n) => !BUILTINS_NAMED_LIKE_AN_API.includes(n)));
const allowList = verbList.superRefine((entries, ctx) => {
  for (const [i, entry] of entries.entries()) {
    if (!BUILTIN_ONLY_NAMES.has(entry.toLowerCase())) continue;
    ctx.addIssue({
      code: 'custom',
      path: [i],
      message: `'${entry}' is the agent's built-in command, not a FreeSWITCH API: the allowlist governs FreeSWITCH verbs only, and built-ins stay allowed unless commands.denylist names them (list it there to refuse it, or remove it here)`,
    });
  }
});

const tls = z.union([
  z.boolean(),
  z
    .object({
      ca_file: z.string().optional(),
      cert_file: z.string().optional(),
      key_file: z.string().optional(),
    })
    .strict(),
]);

export const configSchema = z
  .object({
    /** Node identity; slugified. @default os.hostname() */
    node_id: z.string().min(1).max(MAX_NODE_ID_LENGTH).optional(),
    /** One of `DRIVER_NAMES` (nats, amqp, redis, mqtt, …), case-insensitive; `rabbitmq` (mod_event_agent's name) is amqp (the alias resolved by driverForUrls below). @default the one `broker.urls` names (amqp://… → amqp), else 'nats' */
    driver: z
      .string()
      .min(1)
      .transform((d) => d.toLowerCase())
      .refine((d) => DRIVER_NAMES.includes(d), { message: `unknown driver (known: ${DRIVER_NAMES.join(', ')})` })
      .optional(),
    /** @default 'freeswitch' (sanitised: chars outside [A-Za-z0-9._-] become `_`) */
    subject_prefix: z
      .string()
      .default(DEFAULT_PREFIX)
      // The SDK refuses the same (prefixProblem): too long, or an empty token no client can reach.
      .superRefine((p, ctx) => {
        const problem = prefixProblem(p);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    broker: z
      .object({
        /** One URL, a comma-separated list or an array: more than one fails over. @default the driver's own port on loopback (nats://127.0.0.1:4222, amqp://127.0.0.1:5672, zmq://127.0.0.1:5555, …) */
        urls: list.pipe(z.array(z.string().min(1)).min(1)).optional(),
        /** Not a secret (the password is env-only). */
        user: z.string().optional(),
        /** NATS only: a `.creds` file (user JWT + seed; operator-mode servers, Synadia Cloud), read at start. Not with another credential. */
        creds_file: z.string().min(1).optional(),
        tls: tls.optional(),
        /** ZeroMQ CURVE (the secret key is env-only: FSBUS_ZMQ_CURVE_SECRET_KEY). */
        curve: z
          .object({
            /** This agent's public key (given to clients as their server key). */
            public_key: z.string().length(40).optional(),
            /** Peers' server key, for an agent that connects (mesh). */
            server_key: z.string().length(40).optional(),
            /** Clients admitted (their public keys; a comma-separated list or an array). Absent: any client holding public_key. */
            client_keys: list.pipe(z.array(z.string().length(40)).min(1)).optional(),
          })
          .strict()
          .optional(),
        /** AMQP (RabbitMQ) only. */
        amqp: z
          .object({
            /**
             * Events published persistent (delivery_mode 2): a durable queue of the user's own bound
             * to them keeps them across a RabbitMQ restart (mod_amqp's `delivery-mode` 2). RabbitMQ
             * writes them to disk, which slows its confirms. Replies and lane requests stay
             * transient. @default false (transient)
             */
            persistent_events: bool.default(false),
          })
          .strict()
          .prefault({}),
        /** Events held while the broker is away. @default 10000 */
        buffer_messages: whole(0).default(10_000),
        /** @default 8388608 */
        buffer_bytes: whole(0).default(8 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    esl: z
      .object({
        /** @default '127.0.0.1' */
        host: z.string().min(1).default('127.0.0.1'),
        /** @default 8021 */
        port: whole(1, 65535).default(8021),
        /** Extra connections that run `api` commands concurrently. @default 3 */
        pool_size: whole(1, 32).default(3),
        /** @default 5000 */
        connect_timeout_ms: ms.default(5000),
        /**
         * Requests waiting for FreeSWITCH's reply on one connection (timed-out ones included until
         * their late reply); past it a command gets a `busy` error. @default 10000
         */
        max_pending: positive.default(DEFAULT_MAX_PENDING),
        /**
         * Commands arriving in one event-loop turn sent together on one connection (one write, one
         * read back); a slow `api` holds up those of its own turn. 1: each command to the least
         * busy connection. @default 16
         */
        turn_batch: whole(1, 1024).default(DEFAULT_TURN_BATCH),
        /**
         * A connection to FreeSWITCH silent this long with no reply awaited is probed, and
         * reconnected when the probe is not answered within as long again; 0: off. @default 60000
         */
        liveness_ms: whole(0, MAX_TIMER_MS).default(DEFAULT_LIVENESS_MS),
      })
      .strict()
      .prefault({}),
    commands: z
      .object({
        /** @default 65536 */
        max_payload_bytes: positive.default(DEFAULT_MAX_PAYLOAD_BYTES),
        /** Verbs refused (case-insensitive): every verb a generic API command runs, and a built-in command named here. @default [] */
        denylist: verbList.default([]),
        /** When set, only these verbs reach the generic API; built-ins are governed by the denylist only (one named here is refused). @default [] */
        allowlist: allowList.default([]),
        /** Commands executing at once; more get a `busy` error. @default 64 */
        max_in_flight: positive.default(64),
        /** Default per-command timeout (a request's `timeout_ms` may lower or raise it up to 300000). @default 30000 */
        timeout_ms: ms.default(30_000),
        /** How long shutdown waits for in-flight commands. @default 10000 */
        drain_timeout_ms: ms.default(10_000),
        /**
         * Start cordoned (as after `agent.cordon`): the node's own lane and broadcast served, the
         * shared lanes not joined until `agent.uncordon`. For an agent restarted in a maintenance
         * window (a cordon is not kept across a restart). @default false
         */
        start_cordoned: bool.default(false),
        /**
         * execute_app completions awaited at once (`forward_to`); past it the oldest wait is
         * dropped and its forward_to told. @default 10000
         */
        max_execute_watches: positive.default(DEFAULT_MAX_WATCHES),
        /**
         * Subjects a request's `forward_to` may name (NATS-style patterns: `*` one token, `>` the
         * rest), e.g. `fwd.>`, `_INBOX.>`; another is refused. Empty: any subject but the agent's
         * own and the broker's `$…` (mod_event_agent's behaviour). @default []
         */
        forward_to: subjectPatternList.default([]),
        /**
         * Reply addresses a request may name (nats: reply subjects; mqtt: Response Topics read as
         * subjects, `/` → `.`), forward_to's patterns, e.g. `_INBOX.>`; a request with another is not
         * run. nats and mqtt only: the other drivers answer in their own reply space. Empty: any
         * the driver takes. @default []
         */
        reply_to: subjectPatternList.default([]),
      })
      .strict()
      .prefault({}),
    events: z
      .object({
        /** Names, ALL, CUSTOM or CUSTOM::<subclass>. @default ['ALL'] */
        include: eventList.default(['ALL']),
        /** Exclude wins. @default [] */
        exclude: eventList.default([]),
        stream: z
          .object({
            /** A durable stream over `<prefix>.events.>` (JetStream, Kafka, Redis Streams, RabbitMQ stream queue). @default false */
            enabled: bool.default(false),
            /** @default '<PREFIX>_EVENTS' */
            name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and -').optional(),
            /** Retention by age; 0 = unlimited. @default 86400000 (24 h) */
            max_age_ms: whole(0).default(86_400_000),
            /** @default unlimited */
            max_messages: positive.optional(),
            /** @default unlimited */
            max_bytes: positive.optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /** HTTP port for /metrics, /healthz, /readyz; 0 = any free port. @default 9464 */
        port: port.default(9464),
        /** No authentication on these: loopback unless opened (`0.0.0.0`, an interface's address) for a scraper elsewhere. @default '127.0.0.1' */
        host: z.string().min(1).default('127.0.0.1'),
        /** @default true */
        enabled: bool.default(true),
      })
      .strict()
      .prefault({}),
    /** Park mode's mod_xml_curl endpoint (call control). */
    dialplan: z
      .object({
        /** HTTP port FreeSWITCH's mod_xml_curl posts to; 0 = any free port. @default none (no endpoint, park mode unavailable) */
        port: port.optional(),
        /** @default '127.0.0.1' (loopback: FreeSWITCH runs on the same host) */
        host: z.string().min(1).default('127.0.0.1'),
        /** @default '/dialplan' */
        path: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, 'must be a URL path such as /dialplan').default('/dialplan'),
        /** Basic-auth user (mod_xml_curl `gateway-credentials`); the password comes from FSBUS_DIALPLAN_PASSWORD. */
        user: z.string().min(1).regex(/^[^:]+$/, 'must not contain ":"').optional(),
        /** JSON file keeping the park settings across restarts. @default none (settings start at their defaults) */
        state_file: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * How long a SIGTERM/SIGINT waits for the agent to stop (drain, flush, close) before the
     * process exits anyway with code 1: a broker that accepts and never answers must not hold a
     * service manager until it kills. @default 30000
     */
    shutdown_timeout_ms: ms.default(30_000),
    /** pino's level names, in any case (`INFO`, as `driver` takes `NATS`). @default 'info' */
    log_level: z
      .string()
      .transform((l) => l.toLowerCase())
      .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
      .default('info'),
    /**
     * The audit line of each command (`audit=command …`, info). false drops these lines alone,
     * against a journal's rate limit: `log_level: warn` would drop `agent started` and every
     * recovery line too. @default true
     */
    log_audit: bool.default(true),
  })
  .strict()
  // The driver and the URLs settle each other: `FSBUS_DRIVER=zmq` alone binds mod_event_zmq's
  // ports (not nats's), `FSBUS_BROKER_URL=amqp://…` alone means amqp, and an amqp URL given to
  // the nats driver is refused here instead of failing to connect with a protocol error.
  .transform((c, ctx) => {
    const pick = driverForUrls(c.driver, c.broker.urls ?? []);
    if ('mismatch' in pick) {
      ctx.addIssue({ code: 'custom', path: ['broker', 'urls'], message: pick.mismatch });
      return z.NEVER;
    }
    for (const [i, url] of (c.broker.urls ?? []).entries()) {
      // A typo (`amqp//h`, port 314490, `ampq://`) or a password cutting the URL: exit 78 naming
      // the variable, not a connect failure (exit 1) a service manager restarts forever.
      const problem = brokerUrlProblem(url, pick.driver);
      if (problem === undefined) continue;
      ctx.addIssue({ code: 'custom', path: ['broker', 'urls', i], message: problem });
      return z.NEVER;
    }
    if (c.broker.creds_file !== undefined && pick.driver !== 'nats') {
      ctx.addIssue({ code: 'custom', path: ['broker', 'creds_file'], message: `is for the nats driver only (the driver is ${pick.driver})` });
      return z.NEVER;
    }
    // Silently ignored by another driver, the events it was meant to keep would be lost at a restart.
    if (c.broker.amqp.persistent_events && pick.driver !== 'amqp') {
      ctx.addIssue({ code: 'custom', path: ['broker', 'amqp', 'persistent_events'], message: `is for the amqp driver only (the driver is ${pick.driver})` });
      return z.NEVER;
    }
    const replyToIssue = replyToDriverProblem(pick.driver, c.commands.reply_to);
    if (replyToIssue !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['commands', 'reply_to'], message: replyToIssue });
      return z.NEVER;
    }
    const streamIssue = streamConfigIssue(pick.driver, c.events.stream);
    if (streamIssue !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['events', 'stream', streamIssue.field], message: streamIssue.message });
      return z.NEVER;
    }
    return { ...c, driver: pick.driver, broker: { ...c.broker, urls: c.broker.urls ?? [defaultBrokerUrl(pick.driver)] } };
  });

/**
 * A durable stream the driver cannot keep is a config error at start, naming the field (not a
 * driver error after the connect, naming the SDK's option): no streams on mqtt and zmq; no size
 * cap on Redis, no count cap on RabbitMQ or Kafka.
 */
function streamConfigIssue(driver: string, stream: { enabled: boolean; max_messages?: number | undefined; max_bytes?: number | undefined }): { field: string; message: string } | undefined {
  if (!stream.enabled) return undefined;
  const retention = streamRetention(driver);
  if (retention === undefined) return { field: 'enabled', message: `the ${driver} driver has no durable streams` };
  if (stream.max_bytes !== undefined && !retention.maxBytes) return { field: 'max_bytes', message: `a ${driver} stream cannot be capped by size: use events.stream.max_messages or max_age_ms` };
  if (stream.max_messages !== undefined && !retention.maxMessages) return { field: 'max_messages', message: `a ${driver} stream cannot be capped by count: use events.stream.max_bytes or max_age_ms` };
  return undefined;
}

export type AgentConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;

/** Secrets: never in a file, only from the environment. */
export interface AgentSecrets {
  eslPassword: string;
  brokerToken?: string;
  brokerNkeySeed?: string;
  brokerPassword?: string;
  /** Basic-auth password of the dialplan endpoint. */
  dialplanPassword?: string;
  /** ZeroMQ CURVE secret key of this agent. */
  zmqCurveSecretKey?: string;
}

export type AgentConfig = Parsed & {
  node_id: string;
  /** The node_id as configured, when its slug (node_id) differs: said in a warning at start. */
  node_id_configured?: string;
  /** The variable the ESL password was read from (FSBUS_ESL_PASSWORD or its MOD_EVENT_AGENT_* alias), named when FreeSWITCH refuses it. @default none (ClueCon) */
  esl_password_env?: string;
  secrets: AgentSecrets;
};
