/**
 * @module model/json
 * What a value read from JSON (or YAML) is, before it is trusted.
 */

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
