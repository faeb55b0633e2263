/**
 * @module ops/canary/incident
 * Incident records: `<data-dir>/incidents/INC-<UTC timestamp>.md` and `.json`, with a post-mortem skeleton
 * (summary, impact, timeline, root cause, action items) whose timeline is taken from the audit chain
 * around the incident — every decision record (kill switch, state, registry, canary, rollback, alerts,
 * mode changes) from `windowMs` before it on, with order and fill records counted rather than listed.
 */
import { mkdirSync, readdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Store } from '../../store/index.js'

export const INCIDENTS_DIR = 'incidents'
const NOISE = /^(order\.|fill$|risk\.|balance\.|shadow\.order$|canary\.(order|fill|skipped)$)/

export interface TimelineEntry {
  readonly seq: number
  readonly at: string
  readonly type: string
  readonly actor: string
  readonly summary: string
}

export interface IncidentRecord {
  readonly id: string
  readonly createdAt: string
  readonly title: string
  readonly trigger: string
  readonly reason: string
  readonly strategy: string | null
  readonly summary: string
  readonly impact: Readonly<Record<string, unknown>>
  readonly timeline: readonly TimelineEntry[]
  /** Order and fill records in the window, counted. */
  readonly activity: Readonly<Record<string, number>>
  readonly steps: readonly { readonly step: string; readonly ok: boolean; readonly detail: string }[]
  readonly rootCause: string
  readonly actionItems: readonly string[]
}

function compact(payload: unknown): string {
  if (payload === null || typeof payload !== 'object') return String(payload)
  const o = payload as Record<string, unknown>
  for (const key of ['reason', 'detail', 'summary']) if (typeof o[key] === 'string') return o[key]
  const text = JSON.stringify(payload)
  return text.length > 160 ? `${text.slice(0, 157)}...` : text
}

/** The audit records from `from` (ms) on, decision records listed, routine ones counted. */
export async function auditTimeline(store: Store, from: number, limit = 300): Promise<{ timeline: TimelineEntry[]; activity: Record<string, number> }> {
  const timeline: TimelineEntry[] = []
  const activity: Record<string, number> = {}
  for await (const batch of store.iterateAudit({ fromTs: from })) {
    for (const r of batch) {
      const level = r.type === 'alert' && r.payload !== null && typeof r.payload === 'object' ? (r.payload as { level?: unknown }).level : undefined
      if (NOISE.test(r.type) || (r.type === 'alert' && level !== 'critical')) {
        activity[r.type] = (activity[r.type] ?? 0) + 1
        continue
      }
      timeline.push({ seq: r.seq, at: new Date(r.ts).toISOString(), type: r.type, actor: r.actor, summary: compact(r.payload) })
    }
  }
  return { timeline: timeline.slice(-limit), activity }
}

/** `INC-20180115T120000Z` from a time; a suffix when that id is taken. */
export function incidentId(dir: string, at: number): string {
  const base = `INC-${new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}`
  let id = base
  for (let n = 2; existsSync(join(dir, `${id}.json`)); n++) id = `${base}-${n}`
  return id
}

export function renderIncident(r: IncidentRecord): string {
  const lines = [
    `# ${r.id}: ${r.title}`,
    '',
    `- Created: ${r.createdAt}`,
    `- Trigger: ${r.trigger}`,
    `- Strategy: ${r.strategy ?? '-'}`,
    `- Reason: ${r.reason}`,
    '',
    '## Summary',
    '',
    r.summary,
    '',
    '## Impact',
    '',
    ...Object.entries(r.impact).map(([k, v]) => `- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`),
    '',
    '## Rollback steps',
    '',
    ...r.steps.map((s) => `- [${s.ok ? 'x' : ' '}] ${s.step}: ${s.detail}`),
    '',
    '## Timeline (from the audit chain, UTC)',
    '',
    '| seq | time | type | actor | what |',
    '|---|---|---|---|---|',
    ...r.timeline.map((e) => `| ${e.seq} | ${e.at} | ${e.type} | ${e.actor} | ${e.summary.replace(/\|/g, '\\|')} |`),
    '',
    Object.keys(r.activity).length === 0 ? 'No order or fill activity in the window.' : `Routine records in the window: ${Object.entries(r.activity).map(([k, v]) => `${k} ×${v}`).join(', ')}.`,
    '',
    '## Root cause',
    '',
    r.rootCause,
    '',
    '## Action items',
    '',
    ...r.actionItems.map((a) => `- [ ] ${a}`),
    '',
  ]
  return lines.join('\n')
}

export function writeIncident(dataDir: string, record: IncidentRecord): { md: string; json: string } {
  const dir = join(dataDir, INCIDENTS_DIR)
  mkdirSync(dir, { recursive: true })
  const md = join(dir, `${record.id}.md`)
  const json = join(dir, `${record.id}.json`)
  writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`)
  writeFileSync(md, renderIncident(record))
  return { md, json }
}

/** The newest incident record under the data directory, if any. */
export function lastIncident(dataDir: string): { record: IncidentRecord; path: string } | undefined {
  const dir = join(dataDir, INCIDENTS_DIR)
  if (!existsSync(dir)) return undefined
  const files = readdirSync(dir).filter((f) => /^INC-.*\.json$/.test(f)).sort()
  const last = files[files.length - 1]
  if (last === undefined) return undefined
  const path = join(dir, last)
  return { record: JSON.parse(readFileSync(path, 'utf8')) as IncidentRecord, path }
}
