/**
 * JSON Schemas (draft 2020-12) of the wire formats, for services in other languages and for
 * contract tests. They describe exactly what request.ts, envelope.ts and events.ts produce.
 */

export const requestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://fsbus.dev/schemas/request.json',
  title: 'fsbus command request',
  type: 'object',
  required: ['command'],
  properties: {
    command: { type: 'string', minLength: 1 },
    args: { type: 'string' },
    node_id: { type: 'string' },
    async: { type: 'boolean' },
    forward_to: { type: 'string' },
    correlation_id: { type: 'string' },
    timeout_ms: { type: 'integer', minimum: 1 },
    bg: { type: 'boolean' },
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
    data: {},
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
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    body: { type: 'string' },
  },
  additionalProperties: false,
} as const;
