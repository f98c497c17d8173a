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
    // A field of another type is refused (FSBUS_ERR_BUS_INVALID_ARGUMENT); null counts as absent.
    args: { type: ['string', 'number', 'boolean', 'null'] },
    node_id: { type: ['string', 'null'] },
    async: { type: ['boolean', 'null'] },
    forward_to: { type: ['string', 'null'] },
    correlation_id: { type: ['string', 'number', 'null'] },
    timeout_ms: { type: ['number', 'null'], exclusiveMinimum: 0 },
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
