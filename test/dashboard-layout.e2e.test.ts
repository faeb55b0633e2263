/**
 * Every page of the dashboard against its committed reference screenshot, in both themes at desk (1440×900)
 * and phone (390×844) width: 13 pages × 4 = 52 references in test/fixtures (UPDATE_SNAPSHOTS=1 rewrites them).
 *
 * The server is a paper session made still: a seeded synthetic market whose next step is an hour away, so
 * prices, orders, balances and P&L stay as its first events left them. What differs from one run to the next
 * (clock times, ages, ids and hashes, drawn charts whose axes carry the time of day, the server's own log) is
 * masked: a masked element is painted as a box where it stands, so the layout around it is still compared.
 * Pages are taken once the session is past its first moments (its first status tick drawn, and its log holding the
 * stale-feed warning a still market gives after 10 s), so every reference shows the same state whatever the
 * machine's speed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER, MAX_DIFF_RATIO, compareSnapshot, forEveryPage, haveBrowser } from './browser.js'
import type { InPage } from './browser.js'
import { callApi, createToken, startServe, stopServe, until } from './serve.js'
import type { Served } from './serve.js'

/** What changes from run to run on a still session: masked in every screenshot. */
const VOLATILE = ['time', 'input[type="date"]', 'canvas', '[role="img"]', '.price-chart', '[data-testid="event-count"]', '.toasts']
/** Pages whose lists grow while the session runs (the audit chain, the server's log): their rows are masked. */
const GROWING: Record<string, readonly string[]> = { Audit: ['tbody', '[data-testid="audit-verify"]', 'p.small.muted'], Logs: ['tbody'] }

describe.skipIf(!haveBrowser)(`dashboard pages against their reference screenshots${haveBrowser ? '' : ' (skipped: no /usr/bin/chromium or web/dist)'}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-dash-layout-'))
  let server: Served | undefined
  let context: BrowserContext
  let profile: string
  let token: string

  beforeAll(async () => {
    writeFileSync(join(dir, 'sofia.yaml'), 'risk:\n  killSwitch: AUTO\n  maxDailyLoss: 100000\n')
    token = createToken(dir, 'layout', 'operator')
    profile = mkdtempSync(join(tmpdir(), 'sofia-chromium-'))
    ;[server, context] = await Promise.all([
      startServe(['--port', '0', '--data-dir', dir, '--step-ms', '3600000', '--seed', '3'], { cwd: dir }),
      chromium.launchPersistentContext(profile, { ...BROWSER, viewport: { width: 1440, height: 900 } }),
    ])
  })

  afterAll(async () => {
    await context?.close()
    await stopServe(server)
    rmSync(profile, { recursive: true, force: true })
  })

  it('matches every page in both themes at desk and phone widths', async () => {
    const page = await context.newPage()
    const ratios: Record<string, number> = {}
    const failed: string[] = []
    try {
      await page.goto(`${server!.url}/#token=${token}`)
      await page.getByTestId('net-pnl').waitFor()
      // The references show a session past its first moments: the equity chart has its first status tick, and the
      // server's log has lines. On a loaded machine neither is there yet when the page first loads (CI once took
      // the overview still waiting for ticks, and the logs page with no line).
      await page.getByText('waiting for status ticks', { exact: false }).waitFor({ state: 'hidden', timeout: 30_000 })
      await until('a line in the server log', async () => {
        const r = await callApi(server!.url, 'GET', '/logs?limit=1', token)
        return Array.isArray(r.json['lines']) && r.json['lines'].length > 0 ? true : undefined
      }, 30_000, { everyMs: 100 })
      const links = await forEveryPage(page, async ({ name, width, scheme }) => {
        await page.evaluate(() => (globalThis as unknown as InPage).document.fonts.ready)
        // A page is taken once it has settled: two screenshots in a row the same (charts draw after load).
        const mask = [...VOLATILE, ...(GROWING[name] ?? [])].map((s) => page.locator(s))
        let shot = await page.screenshot({ animations: 'disabled', caret: 'hide', mask })
        for (let i = 0; i < 10; i++) {
          await page.waitForTimeout(150)
          const again = await page.screenshot({ animations: 'disabled', caret: 'hide', mask })
          if (again.equals(shot)) break
          shot = again
        }
        const key = `${name.toLowerCase().replace(/[^a-z]+/g, '')}-${scheme}-${width}`
        const r = compareSnapshot(`page-${key}`, shot)
        ratios[key] = Number((r.ratio * 100).toFixed(3))
        if (r.ratio > MAX_DIFF_RATIO) failed.push(`${key}: ${(r.ratio * 100).toFixed(2)} % (diff: ${r.diffFile ?? '-'})`)
      })
      expect(links).toHaveLength(13)
      console.log(`dashboard layout diff %: ${JSON.stringify(ratios)}`)
      expect(Object.keys(ratios)).toHaveLength(52)
      expect(failed, 'pages that differ from their reference by more than 1 % of their pixels').toEqual([])
    } finally {
      await page.close()
    }
  }, 180_000)
})
