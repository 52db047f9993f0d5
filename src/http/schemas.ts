// JSON schemas shared by several routes: the error envelope and the public models. Responses are
// serialised from these, which is both faster and leak-proof (unknown properties are dropped).

export const errorEnvelopeSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'status', 'message'],
      properties: {
        id: { type: 'string' },
        code: { type: 'integer' },
        status: { type: 'string' },
        reason: { type: 'string' },
        message: { type: 'string' },
        request: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

export const identitySchema = {
  type: 'object',
  required: ['id', 'schema_id', 'schema_url', 'state', 'traits', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    schema_id: { type: 'string' },
    schema_url: { type: 'string' },
    state: { type: 'string', enum: ['active', 'inactive'] },
    traits: { type: 'object', additionalProperties: true },
    metadata_public: { type: 'null' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const sessionSchema = {
  type: 'object',
  required: ['id', 'active', 'expires_at', 'authenticated_at', 'issued_at', 'authenticator_assurance_level', 'authentication_methods', 'devices'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    active: { type: 'boolean' },
    expires_at: { type: 'string', format: 'date-time' },
    authenticated_at: { type: 'string', format: 'date-time' },
    issued_at: { type: 'string', format: 'date-time' },
    authenticator_assurance_level: { type: 'string', enum: ['aal0', 'aal1', 'aal2', 'aal3'] },
    authentication_methods: {
      type: 'array',
      items: {
        type: 'object',
        properties: { method: { type: 'string' }, aal: { type: 'string' }, completed_at: { type: 'string', format: 'date-time' } },
      },
    },
    identity: identitySchema,
    devices: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, ip_address: { type: 'string' }, user_agent: { type: 'string' }, location: { type: 'string' } },
      },
    },
  },
} as const;

/** Responses every route may produce through the error handler. */
export const errorResponses = {
  '4xx': errorEnvelopeSchema,
  '5xx': errorEnvelopeSchema,
} as const;

export const emptyResponse = { type: 'null', description: 'No content' } as const;
