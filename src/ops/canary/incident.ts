/**
 * @module ops/canary/incident
 * Incident records: `<data-dir>/incidents/INC-<UTC timestamp>.md` and `.json`, with a post-mortem skeleton
 * (summary, impact, timeline, root cause, action items) whose timeline is taken from the audit chain
 * around the incident — every decision record (kill switch, state, registry, canary, rollback, alerts,
 * mode changes) from `windowMs` before it on, with order and fill records counted rather than listed.
 * Written by a rollback and by every kill-switch trip (`attachSafetyRecords`), which also notifies.
 */
import { mkdirSync, readdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { payloadOf } from '../../audit/index.js'
import type { Alert } from '../../observability/index.js'
import type { Store } from '../../store/index.js'
import type { SafetyNotice } from '../../system/index.js'

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
      const alert = payloadOf(r, 'alert')
      if (NOISE.test(r.type) || (alert !== undefined && alert.level !== 'critical')) {
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

/** The incident record of a kill-switch trip: what tripped it, what Sofia saw, the audit timeline around it. */
export async function writeTripIncident(store: Store, dataDir: string, notice: SafetyNotice, windowMs = 3_600_000): Promise<{ id: string; md: string; json: string }> {
  const { timeline, activity } = await auditTimeline(store, notice.at - windowMs)
  const id = incidentId(join(dataDir, INCIDENTS_DIR), notice.at)
  const cancelled = typeof notice.detail['cancelled'] === 'number' ? notice.detail['cancelled'] : 0
  const killFile = typeof notice.detail['killFile'] === 'string' ? notice.detail['killFile'] : undefined
  const record: IncidentRecord = {
    id,
    createdAt: new Date(notice.at).toISOString(),
    title: `Kill switch tripped (${notice.trigger ?? 'manual'})`,
    trigger: notice.trigger ?? 'manual',
    reason: notice.reason,
    strategy: null,
    summary:
      `Trading HALTED by ${notice.actor} (${notice.trigger ?? 'manual'}): ${notice.reason}. No order of any kind leaves Sofia until an ` +
      `operator deactivates the kill switch with a reason; positions are closed only by 'sofia flatten'.` +
      (killFile !== undefined ? ` The KILL_SWITCH file ${killFile} was written; remove it before deactivating.` : ''),
    impact: notice.detail,
    timeline,
    activity,
    steps: [
      { step: 'halt', ok: true, detail: 'trading state HALTED: only cancels and queries' },
      { step: 'cancel_all', ok: true, detail: `${cancelled} cancels sent` },
    ],
    rootCause: 'To be completed by the operator.',
    actionItems: ['Find the root cause', 'Decide: flatten, or recover through shadow', 'Deactivate the kill switch with a reason'],
  }
  const paths = writeIncident(dataDir, record)
  return { id, ...paths }
}

/** The critical notification of a trip or of pilot-off. */
export function safetyAlert(notice: SafetyNotice): Alert {
  const rule = notice.kind === 'shutdown' ? 'PilotOff' : 'KillSwitchTripped'
  return {
    rule,
    labels: {},
    key: rule,
    state: 'firing',
    severity: 'critical',
    action: 'notify',
    value: 1,
    op: '==',
    threshold: 1,
    summary: notice.kind === 'shutdown' ? `pilot-off by ${notice.actor}: ${notice.reason}` : `Kill switch tripped by ${notice.actor} (${notice.trigger ?? 'manual'}): ${notice.reason}`,
    description: notice.kind === 'shutdown' ? 'Emergency stop: trading halted, orders cancelled, session ending' : 'Trading HALTED: no order leaves Sofia until an operator deactivates the kill switch',
    activeSince: notice.at,
    firedAt: notice.at,
    at: notice.at,
  }
}

export interface SafetyRecordsOptions {
  readonly store: Store
  readonly dataDir: string
  /** Flushes the session's audit records first, so the timeline holds the trip itself. */
  readonly flush?: () => Promise<void>
  /** Sends a notification; a promise is waited for (bounded) before pilot-off ends the session. */
  readonly notifier?: (alert: Alert) => unknown
  readonly log?: (line: string) => void
}

/** Writes an incident record on every trip and notifies of trips and pilot-off; returns the detach. */
export function attachSafetyRecords(safety: { onNotice(listener: (notice: SafetyNotice) => unknown): () => void }, o: SafetyRecordsOptions): () => void {
  return safety.onNotice(async (notice) => {
    const sent = o.notifier?.(safetyAlert(notice))
    if (notice.kind === 'kill_switch') {
      await o.flush?.()
      const { md } = await writeTripIncident(o.store, o.dataDir, notice)
      o.log?.(`incident record written: ${md}`)
    }
    await sent
  })
}
