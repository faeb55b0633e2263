/**
 * The dashboard tests' browser: Debian's Chromium (/usr/bin/chromium, never downloaded) driven by
 * playwright-core, the reference screenshots they compare against, and the page's theme toggle.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pixelmatch from 'pixelmatch'
import type { Page, chromium } from 'playwright-core'
import { PNG } from 'pngjs'
import { expect } from 'vitest'
import { REPO } from './helpers.js'

export const CHROMIUM = '/usr/bin/chromium'
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const UPDATE = process.env['UPDATE_SNAPSHOTS'] === '1'
/** Differing pixels allowed against a reference screenshot. */
export const MAX_DIFF_RATIO = 0.01
// Skipped, and saying so in its name, only where Debian's chromium is not installed or the dashboard is not built:
// CI's .ci/run installs chromium and `npm test` builds first, so there it always runs.
export const haveBrowser = existsSync(CHROMIUM) && existsSync(join(REPO, 'web', 'dist', 'index.html'))

/** How the tests launch Chromium (headless, no sandbox, no network of its own, UTC, en-US, light). */
export const BROWSER: Parameters<typeof chromium.launchPersistentContext>[1] = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  colorScheme: 'light',
  timezoneId: 'UTC',
  locale: 'en-US',
}

/** Compares a screenshot with its reference (or writes the reference with UPDATE_SNAPSHOTS=1). */
export function compareSnapshot(name: string, shot: Buffer): { ratio: number; diffFile?: string } {
  const file = join(FIXTURES, `dashboard-${name}.png`)
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`no reference ${file}: run with UPDATE_SNAPSHOTS=1 to create it`)
    mkdirSync(FIXTURES, { recursive: true })
    writeFileSync(file, shot)
    return { ratio: 0 }
  }
  const expected = PNG.sync.read(readFileSync(file))
  const actual = PNG.sync.read(shot)
  if (expected.width !== actual.width || expected.height !== actual.height) {
    throw new Error(`${name}: size ${actual.width}×${actual.height}, reference ${expected.width}×${expected.height}`)
  }
  const diff = new PNG({ width: actual.width, height: actual.height })
  const n = pixelmatch(expected.data, actual.data, diff.data, actual.width, actual.height, { threshold: 0.1 })
  const ratio = n / (actual.width * actual.height)
  if (ratio <= MAX_DIFF_RATIO) return { ratio }
  const diffFile = join(tmpdir(), `dashboard-${name}-diff.png`)
  writeFileSync(diffFile, PNG.sync.write(diff))
  return { ratio, diffFile }
}

/** The few browser globals the in-page measurements use (the test project has no DOM library). */
export interface InPage {
  readonly document: {
    readonly fonts: { readonly ready: Promise<unknown> }
    querySelector(selector: string): { readonly textContent: string | null; click(): void } | null
    readonly activeElement: { getAttribute(name: string): string | null; readonly id: string } | null
  }
  requestAnimationFrame(callback: (time: number) => void): number
  getComputedStyle(element: unknown): { readonly color: string; readonly backgroundColor: string }
}

/** Switches the page to `scheme` with its own theme toggle (the page's choice wins over the system's). */
export async function useTheme(page: Page, scheme: 'light' | 'dark'): Promise<void> {
  const current = (): Promise<string | undefined> => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } }).document.documentElement.dataset['theme'])
  if ((await current()) !== scheme) await page.getByTestId('theme-toggle').click()
  await expect.poll(current).toBe(scheme)
}

/** A page of the dashboard as `forEveryPage` shows it. */
export interface PageView {
  readonly name: string
  readonly width: number
  readonly scheme: 'light' | 'dark'
}

/**
 * Opens every page of the navigation at desk (1440×900) and phone (390×844) width, in both themes, through the
 * navigation itself, and calls `visit` once each has loaded. Returns the pages' names, in the navigation's order.
 */
export async function forEveryPage(page: Page, visit: (view: PageView) => Promise<void>): Promise<string[]> {
  const nav = page.getByRole('navigation', { name: 'Pages' })
  const links = await nav.getByRole('link').allTextContents()
  for (const [width, height] of [[1440, 900], [390, 844]] as const) {
    await page.setViewportSize({ width, height })
    for (const scheme of ['light', 'dark'] as const) {
      await useTheme(page, scheme)
      for (const name of links) {
        // Every tab is reachable at phone width too.
        await nav.getByRole('link', { name, exact: true }).click()
        await page.getByRole('heading', { level: 1 }).first().waitFor()
        await page.waitForLoadState('networkidle')
        await visit({ name, width, scheme })
      }
    }
  }
  return links
}
