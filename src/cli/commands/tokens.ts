/**
 * @module cli/commands/tokens
 * `sofia tokens create|list|revoke`: bearer tokens of the operator API. A new token is printed once; the
 * store keeps only its SHA-256. A running `sofia serve` sees changes within a second.
 */
import type { Command } from 'commander'
import { runningApi } from '../../api/client.js'
import { ROLES, createToken, isRole, listTokens, revokeToken, validTokenName } from '../../api/tokens.js'
import type { TokenInfo } from '../../api/tokens.js'
import { parseDuration } from '../../config/index.js'
import { InputError } from '../../model/index.js'
import type { Store } from '../../store/index.js'
import { liveSession, sendRequest } from '../../system/control.js'
import { actorOf } from '../operator-command.js'
import { addStoreOptions, openStoreFromFlags } from '../store-option.js'
import type { StoreFlags } from '../store-option.js'
import type { AuditPayload } from '../../audit/index.js'

interface TokenFlags extends StoreFlags {
  name?: string
  role?: string
  expires?: string
  json?: boolean
  actor?: string
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'))

/**
 * With no session, the token change carries its own audit record; `sofia serve` records the changes it sees.
 * Any other running session (`sofia run`, `sofia paper`) is asked to append the record to its chain.
 */
async function auditInSession<T extends 'api.token.created' | 'api.token.revoked'>(store: Store, type: T, actor: string, payload: Omit<AuditPayload<T>, 'via'>): Promise<void> {
  if ((await liveSession(store)) === undefined || (await runningApi(store)) !== undefined) return
  const r = await sendRequest(store, 'audit.append', { type, payload: { ...payload, via: 'control' } }, actor)
  if (!r.ok) throw new Error(`the running session did not record ${type}: ${r.error ?? 'refused'}`)
}

function status(t: TokenInfo, now: number): string {
  if (t.revokedAt !== null) return 'revoked'
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired'
  return 'active'
}

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').summary('create, list and revoke bearer tokens of the operator API (sofia serve)')

  addStoreOptions(
    tokens
      .command('create')
      .summary('create a token and print it once')
      .requiredOption('--name <name>', 'who or what uses it (the audit actor: operator:<name>)')
      .requiredOption('--role <role>', `${ROLES.join(' < ')}`)
      .option('--expires <duration>', 'expire after this long, e.g. 30d or 12h (default: never)')
      .option('--actor <name>', 'who creates it (default: your user name)')
      .option('--json', 'print {name, role, token, createdAt, expiresAt} as JSON'),
  ).action(async (flags: TokenFlags) => {
    const name = validTokenName(flags.name ?? '')
    const role = flags.role ?? ''
    if (!isRole(role)) throw new InputError(`--role: expected one of ${ROLES.join(', ')}, got '${role}'`)
    let expiresInMs: number | undefined
    if (flags.expires !== undefined) {
      try {
        expiresInMs = parseDuration(flags.expires)
      } catch (error) {
        throw new InputError(`--expires '${flags.expires}': ${error instanceof Error ? error.message : String(error)}`)
      }
      if (expiresInMs <= 0) throw new InputError(`--expires: must be longer than 0, got '${flags.expires}'`)
    }
    const store = await openStoreFromFlags(flags, { create: true })
    try {
      const { token, record } = await createToken(store, { name, role, createdBy: actorOf(flags), ...(expiresInMs !== undefined ? { expiresInMs } : {}) })
      await auditInSession(store, 'api.token.created', actorOf(flags), { name, role, expiresAt: record.expiresAt })
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ name, role, token, createdAt: record.createdAt, expiresAt: record.expiresAt })}\n`)
      } else {
        process.stdout.write(
          `token '${name}' (${role}${record.expiresAt !== null ? `, expires ${iso(record.expiresAt)}` : ''}) — shown once, store it now:\n${token}\n` +
            `use it as: Authorization: Bearer <token>  (or SOFIA_TOKEN=<token> for the sofia CLI)\n`,
        )
      }
    } finally {
      await store.close()
    }
  })

  addStoreOptions(tokens.command('list').summary('names, roles, created, expiry, last used, revoked (never the tokens)').option('--json', 'print as JSON')).action(
    async (flags: TokenFlags) => {
      const store = await openStoreFromFlags(flags, { create: false })
      try {
        const list = await listTokens(store)
        const now = Date.now()
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(list.map((t) => ({ ...t, status: status(t, now) })))}\n`)
          return
        }
        if (list.length === 0) {
          process.stdout.write('no API tokens (sofia tokens create --name NAME --role viewer|operator|admin)\n')
          return
        }
        const rows = [['NAME', 'ROLE', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED', 'CREATED BY']]
        for (const t of list) rows.push([t.name, t.role, status(t, now), iso(t.createdAt), iso(t.expiresAt), iso(t.lastUsedAt), iso(t.revokedAt), t.createdBy])
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
        for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`)
      } finally {
        await store.close()
      }
    },
  )

  addStoreOptions(
    tokens
      .command('revoke')
      .summary('revoke a token (refused from then on; a running server sees it within a second)')
      .argument('<name>', 'the token to revoke')
      .option('--actor <name>', 'who revokes it (default: your user name)')
      .option('--json', 'print the revoked token as JSON'),
  ).action(async (name: string, flags: TokenFlags) => {
    const store = await openStoreFromFlags(flags, { create: false })
    try {
      const before = Date.now()
      const t = await revokeToken(store, name, actorOf(flags), before)
      if (t.revokedAt === before) await auditInSession(store, 'api.token.revoked', actorOf(flags), { name: t.name, role: t.role })
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ name: t.name, role: t.role, revokedAt: t.revokedAt })}\n`)
      else process.stdout.write(`token '${t.name}' revoked at ${iso(t.revokedAt)}\n`)
    } finally {
      await store.close()
    }
  })
}
