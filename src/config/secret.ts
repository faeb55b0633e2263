/**
 * @module config/secret
 * A credential that cannot leak by accident: `String()`, `JSON.stringify`, template literals and
 * `console.log`/`util.inspect` all show a redacted form; only `reveal()` gives the value.
 */

/** What a secret prints as. */
export const REDACTED = '[REDACTED]'

export class Secret {
  readonly #value: string
  readonly #shown: string

  /** @param shown what printing shows instead of the value (a database URL keeps its host, say). */
  constructor(value: string, shown: string = REDACTED) {
    this.#value = value
    this.#shown = shown
  }

  /** The secret itself, for the one place that needs it (an exchange client, a database pool). */
  reveal(): string {
    return this.#value
  }

  toString(): string {
    return this.#shown
  }

  toJSON(): string {
    return this.#shown
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.#shown})`
  }
}

/** A URL with any password (user-info or `password=` query parameter) replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^/?#]*@/i, `$1${REDACTED}@`)
    .replace(/([?&](?:password|sslpassword|pass|secret|token)=)[^&#]*/gi, `$1${REDACTED}`)
}
