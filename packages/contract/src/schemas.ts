/**
 * JSON Schemas (draft 2020-12) of the wire formats, for services in other languages and for
 * contract tests. They describe exactly what request.ts, envelope.ts and events.ts produce, and
 * refuse what the agent refuses for its shape (a blank command, a node_id over 128 characters, a
 * numeric correlation_id past 2^53) — but for a node_id outside the BMP, whose UTF-16 units the
 * agent counts and maxLength cannot (its description says so). The same schemas are checked in as JSON files
 * (packages/contract/schemas/*.json, written by scripts/write-schemas.ts): a client with no
 * TypeScript loads those.
 */
import { commandSchemaFiles } from './command-schemas.js';
import { MAX_NODE_ID_LENGTH, MAX_SUBJECT_LENGTH, SUBJECT_TOKEN_CHARS } from './subjects.js';

// Each built-in command's request (the envelope and its own fields) and its success reply's data.
export { commandDataSchemas, commandRequestSchemas } from './command-schemas.js';

/** Upper bound the agent puts on a request's own `timeout_ms`, unless the command needs longer (an originate ringing long). */
export const MAX_COMMAND_TIMEOUT_MS = 300_000;

export const requestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://fsbus.dev/schemas/request.json',
  title: 'fsbus command request',
  // request.json keeps `command` required for its consumers; the async lane's exception is said here.
  description:
    'A request on <prefix>.api, <prefix>.node.<id>, <prefix>.api.<id> or <prefix>.broadcast. On <prefix>.cmd.async.<command> the subject names the command: the body may be empty (no JSON at all) or leave command out, so validate such a body with command set to the subject\'s (or without required)',
  type: 'object',
  required: ['command'],
  properties: {
    // Not blank: the agent trims it (JavaScript's whitespace, as ECMA-262's \S).
    command: { type: 'string', pattern: '\\S', description: "built-in command names are case-sensitive (agent.status); anything else is a FreeSWITCH API. On <prefix>.cmd.async.<command> the subject names it: the body may leave it out, and one naming another command is refused" },
    // A field of another type is refused (FSBUS_ERR_BUS_INVALID_ARGUMENT); null counts as absent,
    // and so does an optional field's zero value where it is no valid one ("" here, timeout_ms 0).
    args: { type: ['string', 'number', 'boolean', 'null'] },
    node_id: {
      type: ['string', 'null'],
      maxLength: MAX_NODE_ID_LENGTH,
      // Units of the slug, not code points: the slug (one `_` per unit outside [a-z0-9_-], after lowercasing) names the hand-off subject.
      description: `at most ${MAX_NODE_ID_LENGTH} UTF-16 code units, as the agent counts them, both as sent and once lowercased (maxLength counts code points as sent): a character outside the BMP (an emoji) counts two, and so does one that lowercases to two (U+0130 İ → i + U+0307); an agent's own node id is ASCII ([a-z0-9_-] once slugified); "" is none: the request runs where it lands`,
    },
    async: { type: ['boolean', 'null'] },
    forward_to: {
      type: ['string', 'null'],
      maxLength: MAX_SUBJECT_LENGTH,
      // Dotted tokens of SUBJECT_TOKEN_CHARS, not starting with `$` (broker system subjects); '' is absent.
      pattern: `^([${SUBJECT_TOKEN_CHARS.replace('$', '')}][${SUBJECT_TOKEN_CHARS}]*(\\.[${SUBJECT_TOKEN_CHARS}]+)*)?$`,
      description: "also refused by the agent: its own subjects (<prefix>.api, .broadcast, .node, .cmd, .events and below), and what its driver cannot carry (Kafka, ZeroMQ: no ':' or '$', at most 249 characters)",
    },
    correlation_id: {
      type: ['string', 'integer', 'null'],
      minimum: -Number.MAX_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'echoed as a string; send a string (a number comes back as JavaScript writes it: 1.0 as "1"); "" is none (not echoed)',
    },
    timeout_ms: {
      type: ['number', 'null'],
      // 0 is a Go or protobuf client's unset one; below 0 is refused.
      minimum: 0,
      description: `milliseconds; the agent waits at most ${MAX_COMMAND_TIMEOUT_MS} (or what the command needs when that is more: an originate ringing long): a larger value is cut to that, not refused; 0 (or null) is none: what the command needs, else the agent's commands.timeout_ms`,
    },
    bg: { type: ['boolean', 'null'] },
  },
  additionalProperties: true,
} as const;

export const replySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://fsbus.dev/schemas/reply.json',
  title: 'fsbus reply envelope',
  type: 'object',
  required: ['success', 'status', 'message', 'timestamp', 'node_id'],
  properties: {
    success: { type: 'boolean' },
    status: { enum: ['success', 'error'] },
    message: { type: 'string' },
    timestamp: { type: 'integer', description: 'microseconds since the epoch' },
    node_id: { type: 'string' },
    data: {
      type: ['string', 'object'],
      description:
        "the generic API's data is FreeSWITCH's raw output text, on success and on failure; a built-in command's success carries its object; where FreeSWITCH refused what a built-in sent (FSBUS_ERR_BUS_COMMAND_FAILED: hangup, execute_app) data is FreeSWITCH's raw text (\"-ERR No such channel!\\n\"), not that object",
    },
    code: { type: 'string', pattern: '^FSBUS_ERR_[A-Z0-9_]+$' },
    correlation_id: { type: 'string' },
  },
  additionalProperties: true,
} as const;

export const eventSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://fsbus.dev/schemas/event.json',
  title: 'fsbus event',
  type: 'object',
  required: ['event_name', 'timestamp', 'node_id', 'headers'],
  properties: {
    event_name: { type: 'string' },
    timestamp: { type: 'integer', description: 'microseconds since the epoch, from Event-Date-Timestamp' },
    node_id: { type: 'string' },
    uuid: { type: 'string' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: "every value a string; a FreeSWITCH multi-value header as 'ARRAY::a|:b'",
    },
    body: { type: 'string' },
  },
  additionalProperties: false,
} as const;

/** The checked-in files (packages/contract/schemas/<name>, commands/<command>.json and .data.json too) and the schema each holds. */
export const schemaFiles: Readonly<Record<string, object>> = {
  'request.json': requestSchema,
  'reply.json': replySchema,
  'event.json': eventSchema,
  ...commandSchemaFiles,
};

/** A schema as its checked-in file holds it. */
export function schemaFileText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
