/**
 * @module ops/config-redact
 * Configuration files as a backup keeps them: every secret-looking value replaced by `[REDACTED]`, the rest of
 * the file (keys, values, comments) as it was. A backup travels (another disk, another machine, a ticket), so
 * the keys that trade the account, the notifiers' credentials and webhook URLs stay behind.
 */
import { isPair, isScalar, parseDocument, visit } from 'yaml'
import type { Pair, Scalar } from 'yaml'
import { REDACTED, SECRET_KEY } from '../audit/index.js'

/** Keys of configuration values that are credentials, beyond the audit chain's SECRET_KEY. */
const CONFIG_SECRET_KEY = /authorization|routing[_-]?key|webhook/i

/** Notifier URLs carry their credential in the path (Slack, Discord, Teams webhooks): the whole URL is one. */
const SECRET_URL_PARENT = /^notifiers\./

export interface RedactedConfig {
  readonly text: string
  /** Dotted paths of the values replaced, in file order. */
  readonly redacted: readonly string[]
}

/**
 * Redacts a YAML (or JSON) configuration text. A database URL keeps everything but its password, so the backup
 * still says where the data lived.
 */
export function redactConfigText(text: string): RedactedConfig {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) return { text, redacted: [] }
  const redacted: string[] = []
  visit(doc, {
    Pair(_key, node, path) {
      const pair = node as Pair<unknown, unknown>
      if (!isScalar(pair.key) || !isScalar(pair.value)) return
      const key = String(pair.key.value)
      const value = pair.value as Scalar
      if (value.value === null || value.value === undefined || value.value === '') return
      const where = [...pathKeys(path), key].join('.')
      const raw = String(value.value)
      if (/^database\.url$/.test(where) || /:\/\/[^/@\s]*:[^/@\s]*@/.test(raw)) {
        const without = raw.replace(/(:\/\/[^/:@\s]*:)[^/@\s]*@/, `$1${REDACTED}@`)
        if (without !== raw) {
          value.value = without
          redacted.push(where)
        }
        return
      }
      if (SECRET_KEY.test(key) || CONFIG_SECRET_KEY.test(key) || (key === 'url' && SECRET_URL_PARENT.test(where))) {
        value.value = REDACTED
        redacted.push(where)
      }
    },
  })
  return { text: redacted.length === 0 ? text : doc.toString(), redacted }
}

/** The keys of the maps above a node, from the document root down. */
function pathKeys(path: readonly unknown[]): string[] {
  const out: string[] = []
  for (const p of path) if (isPair(p) && isScalar(p.key)) out.push(String(p.key.value))
  return out
}
