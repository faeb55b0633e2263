/**
 * @module api/schemas
 * JSON schemas shared by the routes: request validation (bodies are strict — no coercion, no unknown
 * fields) and the response shapes the OpenAPI document shows. Decimals are strings.
 */

/** Loose object: the document names it, the serializer passes every field through. */
export const anyObject = { type: 'object', additionalProperties: true } as const

export const errorSchema = {
  type: 'object',
  required: ['error', 'code'],
  properties: {
    error: { type: 'string' },
    code: { type: 'string' },
    blockers: { type: 'array', items: { type: 'string' } },
  },
} as const

/** The error responses every authenticated route may give. */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  429: errorSchema,
  500: errorSchema,
} as const

export const reasonBody = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' } },
} as const

export const optionalReasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 500 } },
} as const

export const killSwitchState = {
  type: 'object',
  properties: {
    active: { type: 'boolean' },
    mode: { type: 'string' },
    trigger: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    actor: { type: ['string', 'null'] },
    since: { type: ['integer', 'null'] },
  },
} as const

/** What every order view says, at the venue or waiting in Sofia. */
const orderCore = {
  clientOrderId: { type: 'string' },
  strategyId: { type: 'string' },
  venue: { type: 'string' },
  symbol: { type: 'string' },
  type: { type: 'string' },
  side: { type: 'string' },
  amount: { type: 'string' },
  price: { type: ['string', 'null'] },
  state: { type: 'string' },
  timestamp: { type: 'integer' },
  datetime: { type: 'string' },
} as const

export const orderSchema = {
  type: 'object',
  properties: {
    ...orderCore,
    filled: { type: 'string' },
    remaining: { type: 'string' },
    status: { type: 'string' },
    venueOrderId: { type: ['string', 'null'] },
  },
} as const

/** An emulated order (GET /orders `emulated`): waits in Sofia until its trigger fires. */
export const emulatedOrderSchema = {
  type: 'object',
  properties: {
    ...orderCore,
    triggerPrice: { type: ['string', 'null'] },
    triggerDirection: { type: 'string' },
    trailingPercent: { type: ['string', 'null'] },
    reduceOnly: { type: 'boolean' },
    tag: { type: ['string', 'null'] },
    description: { type: 'string' },
  },
} as const

/** A route that an operator may run with a reason (optional) and extra arguments. */
export const procedureBody = { type: 'object', additionalProperties: true } as const
