/**
 * @module observability/prom
 * prom-client, loaded on first use: a command that keeps no metrics (a backtest, a report, `sofia status`) does
 * not pay for loading it. The classes are the package's own (`instanceof` holds against registries made elsewhere).
 */
import { createRequire } from 'node:module'
import type * as PromClient from 'prom-client'

const load = createRequire(import.meta.url)
let client: typeof PromClient | undefined

export function promClient(): typeof PromClient {
  return (client ??= load('prom-client') as typeof PromClient)
}
