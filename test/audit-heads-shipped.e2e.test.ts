/**
 * Signed audit heads shipped off the machine (`audit.shipHeads`): a `sofia serve` session sends each head it
 * signs to the webhook of config/alerts.yaml. An intruder who can rewrite both the database and the heads file
 * cannot reach that copy: after the tail is deleted and the heads file removed, `sofia audit verify --head` on
 * what the webhook received finds the cut.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cliEnv, sofia } from './helpers.js'

interface Received {
  readonly rule: string
  readonly severity: string
  readonly description?: string
}

let receiver: Server | undefined
const received: Received[] = []
let hook = ''

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += String(d)))
    req.on('end', () => {
      received.push(JSON.parse(body) as Received)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve))
  hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`
})

afterAll(async () => {
  await new Promise<void>((resolve) => (receiver === undefined ? resolve() : receiver.close(() => resolve())))
})

describe('audit heads shipped to the webhook', () => {
  it('sends every signed head to the webhook; that copy finds the tail deleted and the heads file removed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sofia-ship-heads-'))
    const key = join(mkdtempSync(join(tmpdir(), 'sofia-ship-key-')), 'audit.pem')
    const dataDir = join(home, 'var')
    writeFileSync(join(home, 'sofia.yaml'), 'audit:\n  shipHeads: true\n')
    mkdirSync(join(home, 'config'))
    // The webhook takes warning and above: a head is sent to it all the same.
    writeFileSync(join(home, 'config', 'alerts.yaml'), `notifiers:\n  webhook:\n    url: ${hook}\n    minSeverity: warning\n`)
    const env = { SOFIA_AUDIT_KEY: key }
    const serve = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--step-ms', '5', '--duration', '4', '--data-dir', dataDir], { cwd: home, env: cliEnv(env) })
    let err = ''
    serve.stderr.on('data', (d: Buffer) => (err += String(d)))
    serve.stdout.resume()
    const code = await new Promise<number | null>((resolve) => serve.once('exit', resolve))
    expect(code, err).toBe(0)
    expect(err).not.toContain('shipHeads')

    const heads = received.filter((r) => r.rule === 'AuditHead')
    expect(heads.length, JSON.stringify(received.map((r) => r.rule))).toBeGreaterThanOrEqual(1)
    expect(heads.every((h) => h.severity === 'info')).toBe(true)
    // What was shipped is what the heads file holds, line for line.
    expect(readFileSync(join(dataDir, 'audit-heads.jsonl'), 'utf8').trim().split('\n')).toEqual(heads.map((h) => h.description))
    const shipped = heads.map((h) => h.description!)
    const kept = join(mkdtempSync(join(tmpdir(), 'sofia-ship-kept-')), 'heads.jsonl')
    writeFileSync(kept, `${shipped.join('\n')}\n`)
    const intact = sofia(['audit', 'verify', '--data-dir', dataDir, '--head', kept], { env, cwd: home })
    expect(intact.code, intact.stdout + intact.stderr).toBe(0)

    // The intruder deletes the last 20 records and the heads file.
    const db = new Database(join(dataDir, 'sofia.db'))
    const last = (db.prepare('SELECT MAX(seq) AS n FROM audit').get() as { n: number }).n
    db.prepare('DELETE FROM audit WHERE seq > ?').run(last - 20)
    db.close()
    rmSync(join(dataDir, 'audit-heads.jsonl'))
    const cut = sofia(['audit', 'verify', '--data-dir', dataDir, '--head', kept, '--json'], { env, cwd: home })
    expect(cut.code, cut.stdout + cut.stderr).toBe(1)
    const problems = (JSON.parse(cut.stdout) as { anchors?: { problems: string[] } }).anchors?.problems.join('\n') ?? ''
    expect(problems).toMatch(/heads\.jsonl:\d+: a head signed at .* for seq \d+, but the chain ends at seq/)
  }, 60_000)
})
