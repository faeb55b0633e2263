/**
 * @module cli/commands/slo
 * `sofia slo`: the running session's service-level objectives (measured by that session, served by
 * `sofia serve` at GET /slo/status; needs a viewer token in SOFIA_TOKEN).
 */
import type { Command } from 'commander'
import { ApiClient, runningApi } from '../../api/client.js'
import { InputError } from '../../model/index.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addStoreOptions, openStoreFromFlags } from '../store-option.js'
import type { StoreFlags } from '../store-option.js'

interface SloRow {
  readonly name: string
  readonly objective: number
  readonly current: number | null
  readonly unit?: string
  readonly errorBudgetRemaining: number | null
  readonly burnRates: Readonly<Record<string, number | null>>
  readonly status: string
}

export function registerSlo(program: Command): void {
  addStoreOptions(
    program
      .command('slo')
      .summary('SLOs of the running session: objective, current value, error budget left and burn rate (exit 1 when a budget is exhausted)')
      .option('--json', 'print as JSON'),
  ).action(async (flags: StoreFlags & { json?: boolean }) => {
    const store = await openStoreFromFlags(flags, { create: false })
    let endpoint
    try {
      endpoint = await runningApi(store)
    } finally {
      await store.close()
    }
    if (endpoint === undefined) throw new InputError('no running `sofia serve` session: SLOs are measured by the running session')
    const token = process.env['SOFIA_TOKEN']
    if (token === undefined || token === '') throw new InputError('SOFIA_TOKEN is not set: a viewer token is needed (sofia tokens create --role viewer)')
    const r = await new ApiClient(endpoint.url, token).request('GET', '/slo/status')
    if (r.status !== 200) throw new InputError(`GET /slo/status answered ${r.status}: ${JSON.stringify(r.body)}`)
    const body = r.body as { tracked?: boolean; slo?: SloRow[] }
    if (body.tracked !== true || !Array.isArray(body.slo)) throw new InputError('the running server has no SLO tracker')
    const rows = body.slo
    if (flags.json === true) process.stdout.write(`${JSON.stringify(rows)}\n`)
    else {
      for (const s of rows) {
        const burn = Object.entries(s.burnRates)
          .map(([w, v]) => `${w} ${v === null ? '-' : v.toFixed(2)}`)
          .join(', ')
        const budget = s.errorBudgetRemaining === null ? '-' : `${(s.errorBudgetRemaining * 100).toFixed(1)}%`
        process.stdout.write(`${s.name.padEnd(22)} ${s.status.padEnd(9)} objective ${s.objective}  current ${s.current ?? '-'}${s.unit !== undefined ? ` ${s.unit}` : ''}  budget left ${budget}  burn ${burn}\n`)
      }
    }
    if (rows.some((s) => s.status === 'exhausted')) process.exitCode = EXIT_PROBLEM
  })
}
