/**
 * @module desk/reconcile
 * The reconciliations an operator runs on a served session (`POST /reconcile`, `POST /reconcile/positions`):
 * the session's stored fills against each venue's own trades, and the ledger's balances against each venue's.
 */
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { reconcile, storeTrades, venueTrades } from '../reconcile/index.js'
import type { ReconciliationReport } from '../reconcile/index.js'
import type { Store } from '../store/index.js'
import type { Trader } from '../system/index.js'

/** Trades older than this are compared (younger ones may still be on their way from the venue to the store). */
const SETTLE_MS = 1_000

function summary(r: ReconciliationReport): Record<string, unknown> {
  return { status: r.status, counts: r.counts, discrepancies: r.discrepancies.slice(0, 100), positions: r.positions }
}

/**
 * Reconciles the session's stored fills against each simulated venue's own trades (since the session
 * started: a restarted in-process venue remembers nothing earlier). Discrepancies trip the kill switch
 * (trigger `reconciliation`), as `sofia reconcile` does.
 */
export async function reconcileSession(trader: Trader, store: Store, since: number, actor: string, dataDir: string): Promise<unknown> {
  const to = Date.now() - SETTLE_MS
  const venues: Record<string, unknown> = {}
  const files: string[] = []
  let ok = true
  for (const v of trader.venues) {
    const r = await reconcile(storeTrades(store, { venue: v.id, since, until: to }), venueTrades(v, { since, until: to }), {
      venue: v.id,
      from: since,
      to,
      sources: { internal: 'store', exchange: `venue:${v.id}` },
    })
    ok &&= r.status === 'ok'
    venues[v.id] = summary(r)
    files.push(await writeReconciliationReport(dataDir, r))
  }
  trader.persistence?.audit('reconciliation.run', actor, { status: ok ? 'ok' : 'discrepancies', from: since, to, venues: Object.keys(venues), files })
  if (!ok) trader.safety.execute({ command: 'reconciliation.failed', args: { reason: 'API reconciliation found discrepancies' }, actor })
  return { status: ok ? 'ok' : 'discrepancies', from: since, to, venues, files }
}

/** Writes a report where `sofia reconcile` writes its own (<data-dir>/reports/reconciliation/), for the dashboard's list of runs. */
async function writeReconciliationReport(dataDir: string, report: ReconciliationReport): Promise<string> {
  const dir = join(dataDir, 'reports', 'reconciliation')
  await mkdir(dir, { recursive: true })
  const name = `reconciliation_${new Date(Date.parse(report.generatedAt)).toISOString().replace(/[-:]/g, '').replace('.', '')}`
  let file = join(dir, `${name}.json`)
  for (let n = 2; existsSync(file); n++) file = join(dir, `${name}-${n}.json`)
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`, { flag: 'wx' })
  return file
}

/** The ledger's balances against each venue's fetchBalance totals. */
export async function reconcileBalances(trader: Trader, actor: string): Promise<unknown> {
  const venues: Record<string, unknown> = {}
  let ok = true
  for (const v of trader.venues) {
    const internal: Record<string, string> = {}
    for (const b of trader.ledger.balances(v.id)) internal[b.asset] = b.total.toString()
    const exchange: Record<string, string> = {}
    for (const [asset, b] of Object.entries(await v.fetchBalance())) exchange[asset] = b.total.toString()
    const r = await reconcile([], [], { venue: v.id, balances: { internal, exchange }, sources: { internal: 'ledger', exchange: `venue:${v.id}` } })
    ok &&= r.status === 'ok'
    venues[v.id] = summary(r)
  }
  trader.persistence?.audit('reconciliation.balances', actor, { status: ok ? 'ok' : 'discrepancies', venues: Object.keys(venues) })
  return { status: ok ? 'ok' : 'discrepancies', venues }
}
