/**
 * @module observability/logger
 * Structured JSON logs with pino. Secrets never reach the output: pino's `redact` removes the well-known
 * paths (credentials, Authorization and Cookie headers) cheaply, and every logged object is also walked for
 * keys that look secret (/secret|password|passphrase|token|api[_-]?key|authorization|routing[_-]?key/i)
 * wherever they sit, and for URL passwords. Rotation is left to the platform (logrotate with copytruncate, or
 * pino-roll as a transport): see the operations README.
 */
import { createRequire } from 'node:module'
import type * as Pino from 'pino'
import type { DestinationStream, Level, Logger, LoggerOptions } from 'pino'
import { REDACTED, redactUrl } from '../config/index.js'

export type { Logger } from 'pino'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Keys whose values are always replaced, at any depth. */
export const SECRET_KEY = /secret|password|passphrase|passwd|token|api[_-]?key|authorization|cookie|routing[_-]?key|private[_-]?key/i

/** Paths pino's fast redaction covers (top level, one level down, and HTTP request headers). */
export const REDACT_PATHS: readonly string[] = [
  'apiKey',
  'apiSecret',
  'password',
  'token',
  'secret',
  '*.apiKey',
  '*.apiSecret',
  '*.password',
  '*.token',
  '*.secret',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
]

export interface CreateLoggerOptions {
  /** Default `info` (or LOG_LEVEL). */
  readonly level?: LogLevel
  /**
   * Where lines go: a file path (appended, created with its folder), a file descriptor (1 stdout, 2
   * stderr), or a stream. Default stdout.
   */
  readonly destination?: string | number | DestinationStream
  /** `name` field on every line. Default `sofia`. */
  readonly name?: string
  /** Fields on every line (mode, session…); default pid and hostname. */
  readonly base?: Record<string, unknown>
  /** Write synchronously (tests, crash paths). Default false for files, true for streams handed in. */
  readonly sync?: boolean
}

/** pino, loaded on first use: a command that logs nothing through it does not load it. */
const load = createRequire(import.meta.url)

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const { pino } = load('pino') as typeof Pino
  const level = options.level ?? parseLevel(process.env.LOG_LEVEL) ?? 'info'
  const config: LoggerOptions = {
    name: options.name ?? 'sofia',
    level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redactDeep(bindings) as Record<string, unknown>,
      log: (object) => redactDeep(object) as Record<string, unknown>,
    },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    ...(options.base === undefined ? {} : { base: options.base }),
  }
  const dest = options.destination
  const logger =
    dest === undefined
      ? pino(config, pino.destination({ dest: 1, sync: options.sync ?? false }))
      : typeof dest === 'string' || typeof dest === 'number'
        ? pino(config, pino.destination({ dest, sync: options.sync ?? false, mkdir: typeof dest === 'string' }))
        : pino(config, dest)
  // pino does not run `formatters.bindings` for children; redact child bindings on the way in. Children
  // are created from their parent's prototype chain, so every descendant inherits this.
  const rootChild = Object.getPrototypeOf(logger).child as (this: Logger, ...args: unknown[]) => Logger
  Object.defineProperty(logger, 'child', {
    value: function (this: Logger, bindings: Record<string, unknown>, opts?: unknown): Logger {
      return rootChild.call(this, redactDeep(bindings), ...(opts === undefined ? [] : [opts]))
    },
    writable: true,
    configurable: true,
  })
  return logger
}

/** A copy with secret-looking keys replaced and URL passwords masked; cycles and depth are bounded. */
export function redactDeep(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return value.includes('://') || value.includes('password=') ? redactUrl(value) : value
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Error) return value
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && !Array.isArray(value)) return value
  if (seen.has(value) || depth > 8) return '[…]'
  seen.add(value)
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactDeep(v, depth + 1, seen)
  }
  return out
}

function parseLevel(value: string | undefined): Level | undefined {
  return value !== undefined && (LOG_LEVELS as readonly string[]).includes(value) && value !== 'silent' ? (value as Level) : undefined
}
