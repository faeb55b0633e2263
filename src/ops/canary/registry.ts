/**
 * @module ops/canary/registry
 * The strategy/model registry: every version of a strategy with its parameters, the SHA-256 of the
 * strategy's code, an optional model artifact (file + SHA-256, verified whenever the version is put to use)
 * and its validation results. Per strategy exactly one version is `active` once one has been promoted, and
 * at most one is `last_good` (the version that was active before it: the rollback target).
 *
 * Lifecycle: registered → active (promote) → last_good (a newer one promoted) → retired (two promotions
 * later); a rolled-back active version becomes `rolled_back` and the last_good one active again, with the
 * most recent retired version as the new last_good. Every change is one store batch with its audit records.
 *
 * A version of a user's strategy keeps its code: the file's bytes as registered go into the store (state
 * `strategy.code.<sha256>`, in the same batch), so the version runs as registered after the file has been
 * edited (`definitionOf`), a canary stage or a rollback included. Only that one file is kept: a strategy
 * that imports its own helper modules runs them as they are now.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InputError, SofiaError } from '../../model/index.js'
import type { StoredStrategyVersion } from '../../store/index.js'
import { STRATEGIES, findStrategy, loadStrategyFile, strategyFile } from '../../strategy/index.js'
import type { StrategyDefinition } from '../../strategy/index.js'
import type { AuditEntry, AuditSink } from './sink.js'
import type { ValidationReport } from './validation.js'

export const VERSION_STATUSES = ['registered', 'active', 'last_good', 'retired', 'rolled_back'] as const
export type VersionStatus = (typeof VERSION_STATUSES)[number]

/** A model artifact whose bytes no longer match the registered checksum. */
export class ArtifactMismatch extends SofiaError {}

export interface ModelArtifact {
  readonly path: string
  readonly sha256: string
  readonly bytes: number
}

export interface RegisteredVersion extends StoredStrategyVersion {
  readonly status: VersionStatus
  readonly params: Readonly<Record<string, string>>
  readonly artifact: ModelArtifact | null
  readonly validation: ValidationReport | { readonly skipped: true; readonly reason: string; readonly actor: string } | null
}

export function sha256File(path: string): { sha256: string; bytes: number } {
  const data = readFileSync(path)
  return { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length }
}

/** The repository root: the nearest folder above this module holding package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir
    dir = dirname(dir)
  }
  return process.cwd()
}

/**
 * SHA-256 over the strategy's source files: its own file and the Strategy API it is written against
 * (`strategy.ts`, `params.ts`), read from src/strategy when present, else from dist/src/strategy. For a
 * strategy loaded from a user's file, the SHA-256 of that file.
 * Each file enters as `name NUL content NUL`, in name order.
 */
export function strategyCodeHash(strategy: string, root: string = repoRoot()): { sha256: string; files: string[] } {
  findStrategy(strategy)
  // A user's strategy: the code that runs is its file.
  const file = strategyFile(strategy)
  if (file !== undefined) return { sha256: sha256File(file).sha256, files: [file] }
  const names = [`${strategy}`, 'params', 'strategy']
  for (const [dir, ext] of [[join(root, 'src', 'strategy'), '.ts'], [join(root, 'dist', 'src', 'strategy'), '.js']] as const) {
    const files = names.map((n) => join(dir, n + ext))
    if (!files.every((f) => existsSync(f))) continue
    const hash = createHash('sha256')
    for (const f of [...files].sort()) {
      hash.update(f.slice(dir.length + 1)).update('\0').update(readFileSync(f)).update('\0')
    }
    return { sha256: hash.digest('hex'), files }
  }
  throw new InputError(`strategy ${strategy}: no source file under ${join(root, 'src', 'strategy')} or ${join(root, 'dist', 'src', 'strategy')}`)
}

/** The state key under which a user strategy's registered code is kept. */
export const STRATEGY_CODE_PREFIX = 'strategy.code.'

/** A user strategy file as registered: its name and its bytes (base64, so the SHA-256 is of the same bytes). */
export interface StoredStrategyCode {
  readonly file: string
  readonly base64: string
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

/** Where kept code is written to be loaded: a private directory of this process, removed at exit. */
let codeDir: string | undefined
const loadedCode = new Map<string, Promise<StrategyDefinition>>()

function loadKeptCode(v: StoredStrategyVersion, code: StoredStrategyCode): Promise<StrategyDefinition> {
  let loading = loadedCode.get(v.codeHash)
  if (loading === undefined) {
    loading = (async () => {
      const bytes = Buffer.from(code.base64, 'base64')
      if (sha256(bytes) !== v.codeHash) throw new ArtifactMismatch(`${v.strategy} ${v.version}: the code kept in the store does not hash to ${v.codeHash}`)
      if (codeDir === undefined) {
        const dir = mkdtempSync(join(tmpdir(), 'sofia-strategy-code-'))
        codeDir = dir
        process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
      }
      const dir = join(codeDir, v.codeHash)
      mkdirSync(dir, { recursive: true })
      const file = join(dir, basename(code.file))
      writeFileSync(file, bytes)
      const definition = await loadStrategyFile(file)
      if (definition.name !== v.strategy) throw new ArtifactMismatch(`${v.strategy} ${v.version}: the code kept in the store defines strategy '${definition.name}'`)
      return definition
    })()
    loading.catch(() => loadedCode.delete(v.codeHash))
    loadedCode.set(v.codeHash, loading)
  }
  return loading
}

export interface RegisterRequest {
  readonly strategy: string
  readonly version: string
  readonly params: Readonly<Record<string, string>>
  /** A model file to record with its checksum. */
  readonly artifact?: string
  readonly validation?: ValidationReport
  /** Registers without passing validation: needs a reason, audited. */
  readonly skipValidation?: { readonly reason: string }
  /** Why it is registered, for the audit record (the skip reason when validation is skipped). */
  readonly reason?: string
}

const same = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const ka = Object.keys(a).sort()
  const kb = Object.keys(b).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k])
}

export class StrategyRegistry {
  constructor(
    private readonly sink: AuditSink,
    private readonly options: { readonly root?: string } = {},
  ) {}

  async list(strategy?: string): Promise<RegisteredVersion[]> {
    return (await this.sink.store.loadStrategyVersions(strategy)) as RegisteredVersion[]
  }

  async get(strategy: string, version: string): Promise<RegisteredVersion> {
    const found = (await this.list(strategy)).find((v) => v.version === version)
    if (found === undefined) throw new InputError(`strategy ${strategy}: no version '${version}' in the registry`)
    return found
  }

  async active(strategy: string): Promise<RegisteredVersion | undefined> {
    return (await this.list(strategy)).find((v) => v.status === 'active')
  }

  async lastGood(strategy: string): Promise<RegisteredVersion | undefined> {
    return (await this.list(strategy)).find((v) => v.status === 'last_good')
  }

  /**
   * Checks a version's model artifact against its checksum, and that a user strategy's version can run as
   * registered: its file unchanged, or its code kept in the store (throws ArtifactMismatch otherwise).
   * `code` says which.
   */
  async verifyArtifact(v: RegisteredVersion): Promise<{ ok: true; artifact: ModelArtifact | null; code: 'file' | 'kept' | 'built-in' }> {
    const file = strategyFile(v.strategy)
    let code: 'file' | 'kept' | 'built-in' = 'built-in'
    if (file !== undefined) {
      const now = strategyCodeHash(v.strategy, this.options.root).sha256
      code = 'file'
      if (now !== v.codeHash) {
        if ((await this.keptCode(v.codeHash)) === undefined) {
          throw new ArtifactMismatch(`${v.strategy} ${v.version}: ${file} has changed since the version was registered (SHA-256 ${now}, registered ${v.codeHash}), and the store has no copy of the registered code; register a new version`)
        }
        code = 'kept'
      }
    }
    const a = v.artifact
    if (a === null || a === undefined) return { ok: true, artifact: null, code }
    if (!existsSync(a.path)) throw new ArtifactMismatch(`${v.strategy} ${v.version}: model artifact ${a.path} is missing`)
    const now = sha256File(a.path)
    if (now.sha256 !== a.sha256) throw new ArtifactMismatch(`${v.strategy} ${v.version}: model artifact ${a.path} has SHA-256 ${now.sha256}, registered ${a.sha256}`)
    return { ok: true, artifact: a, code }
  }

  /** The registered code of a user strategy's version, from the store (undefined when none was kept). */
  async keptCode(codeHash: string): Promise<StoredStrategyCode | undefined> {
    return (await this.sink.store.getState<StoredStrategyCode>(STRATEGY_CODE_PREFIX + codeHash)) ?? undefined
  }

  /**
   * The definition that runs version `v`: a built-in's, the loaded user file's when it is the registered code,
   * else the registered code kept in the store (loaded from a private copy). ArtifactMismatch when neither.
   */
  async definitionOf(v: RegisteredVersion): Promise<StrategyDefinition> {
    if (STRATEGIES.some((s) => s.name === v.strategy)) return findStrategy(v.strategy)
    const file = strategyFile(v.strategy)
    if (file !== undefined && existsSync(file) && sha256File(file).sha256 === v.codeHash) return findStrategy(v.strategy)
    const kept = await this.keptCode(v.codeHash)
    if (kept === undefined) {
      throw new ArtifactMismatch(`${v.strategy} ${v.version}: ${file ?? 'its file'} is not the registered code (SHA-256 ${v.codeHash}), and the store has no copy of it`)
    }
    return loadKeptCode(v, kept)
  }

  async register(req: RegisterRequest, actor: string): Promise<RegisteredVersion> {
    findStrategy(req.strategy)
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(req.version)) throw new InputError(`--strategy-version '${req.version}': use letters, digits, '.', '_' and '-'`)
    const existing = (await this.list(req.strategy)).find((v) => v.version === req.version)
    if (existing !== undefined) throw new InputError(`strategy ${req.strategy}: version '${req.version}' is already registered (versions are immutable)`)
    let validation: RegisteredVersion['validation']
    if (req.validation !== undefined) {
      if (req.validation.strategy !== req.strategy) throw new InputError(`the validation report is for strategy ${req.validation.strategy}, not ${req.strategy}`)
      if (!same(req.validation.params, req.params)) throw new InputError(`the validation report was run with other parameters (${JSON.stringify(req.validation.params)})`)
      if (!req.validation.passed && req.skipValidation === undefined) {
        throw new ValidationFailed(`strategy ${req.strategy} ${req.version} failed validation: ${req.validation.failed.join(', ')}`)
      }
      validation = req.validation
    } else if (req.skipValidation !== undefined) {
      if (req.skipValidation.reason.trim() === '') throw new InputError('--skip-validation needs --reason')
      validation = { skipped: true, reason: req.skipValidation.reason, actor }
    } else throw new InputError('register needs a passing validation (--data FILE… or --validation-report FILE), or --skip-validation --reason TEXT')
    if (req.skipValidation !== undefined && req.skipValidation.reason.trim() === '') throw new InputError('--skip-validation needs --reason')
    let artifact: ModelArtifact | null = null
    if (req.artifact !== undefined) {
      const path = resolve(req.artifact)
      if (!existsSync(path)) throw new InputError(`--artifact ${req.artifact}: no such file`)
      artifact = { path, ...sha256File(path) }
    }
    // A user's file: hashed and kept from the same bytes.
    const file = strategyFile(req.strategy)
    const bytes = file !== undefined ? readFileSync(file) : undefined
    const code = bytes !== undefined ? { sha256: sha256(bytes) } : strategyCodeHash(req.strategy, this.options.root)
    const row: RegisteredVersion = {
      strategy: req.strategy,
      version: req.version,
      status: 'registered',
      params: { ...req.params },
      codeHash: code.sha256,
      artifact,
      validation: req.skipValidation !== undefined ? { skipped: true, reason: req.skipValidation.reason, actor } : validation,
      createdAt: this.sink.now(),
    }
    const records: AuditEntry[] = [{ type: 'registry.registered', actor, payload: { strategy: row.strategy, version: row.version, params: row.params, codeHash: row.codeHash, artifact, validationPassed: req.validation?.passed ?? null, reason: req.reason ?? req.skipValidation?.reason ?? '' } }]
    if (req.skipValidation !== undefined) {
      records.push({ type: 'registry.validation_skipped', actor, payload: { strategy: row.strategy, version: row.version, reason: req.skipValidation.reason, validationPassed: req.validation?.passed ?? null } })
    }
    const kept: StoredStrategyCode | undefined = file !== undefined && bytes !== undefined ? { file: basename(file), base64: bytes.toString('base64') } : undefined
    await this.sink.commit({ strategyVersions: [row], ...(kept !== undefined ? { state: [{ key: STRATEGY_CODE_PREFIX + code.sha256, value: kept }] } : {}) }, records)
    return row
  }

  /** Makes `version` the active one; the previous active becomes last_good, the previous last_good retired. */
  async promote(strategy: string, version: string, actor: string, reason = ''): Promise<{ active: RegisteredVersion; lastGood: RegisteredVersion | undefined }> {
    const all = await this.list(strategy)
    const target = all.find((v) => v.version === version)
    if (target === undefined) throw new InputError(`strategy ${strategy}: no version '${version}' in the registry`)
    if (target.status === 'active') throw new InputError(`strategy ${strategy}: ${version} is already active`)
    if (target.status === 'rolled_back') throw new InputError(`strategy ${strategy}: ${version} was rolled back; register a new version`)
    const v = target.validation
    if (v === null || (!('skipped' in v) && !v.passed)) throw new ValidationFailed(`strategy ${strategy} ${version} has no passing validation`)
    await this.verifyArtifact(target)
    const rows: RegisteredVersion[] = []
    const oldActive = all.find((x) => x.status === 'active')
    const oldLastGood = all.find((x) => x.status === 'last_good')
    if (oldLastGood !== undefined && oldLastGood.version !== version && oldActive !== undefined) rows.push({ ...oldLastGood, status: 'retired' })
    let lastGood: RegisteredVersion | undefined = oldLastGood?.version === version ? undefined : oldLastGood
    if (oldActive !== undefined) {
      lastGood = { ...oldActive, status: 'last_good' }
      rows.push(lastGood)
    }
    const active: RegisteredVersion = { ...target, status: 'active' }
    rows.push(active)
    await this.sink.commit({ strategyVersions: rows }, [
      { type: 'registry.promoted', actor, payload: { strategy, version, from: oldActive?.version ?? null, lastGood: lastGood?.version ?? null, reason } },
    ])
    return { active, lastGood }
  }

  /** What a rollback would switch (nothing written). */
  async planRollback(strategy: string, targetVersion?: string): Promise<{ from: RegisteredVersion | undefined; to: RegisteredVersion; lastGoodAfter: RegisteredVersion | undefined }> {
    const all = await this.list(strategy)
    const from = all.find((v) => v.status === 'active')
    const to = targetVersion === undefined ? all.find((v) => v.status === 'last_good') : all.find((v) => v.version === targetVersion)
    if (to === undefined) {
      throw new InputError(targetVersion === undefined ? `strategy ${strategy}: no last_good version to roll back to (give --target-version)` : `strategy ${strategy}: no version '${targetVersion}' in the registry`)
    }
    if (from !== undefined && to.version === from.version) throw new InputError(`strategy ${strategy}: ${to.version} is already active`)
    const retired = all.filter((v) => v.status === 'retired' && v.version !== to.version).sort((a, b) => b.createdAt - a.createdAt)
    const lastGoodAfter = to.status === 'last_good' ? retired[0] : all.find((v) => v.status === 'last_good')
    return { from, to, lastGoodAfter }
  }

  /** Switches the active version back to last_good (or `targetVersion`), verifying its artifact first. */
  async rollback(strategy: string, actor: string, reason: string, targetVersion?: string): Promise<{ from: string | null; to: string; lastGood: string | null }> {
    const plan = await this.planRollback(strategy, targetVersion)
    await this.verifyArtifact(plan.to)
    const rows: RegisteredVersion[] = []
    if (plan.from !== undefined) rows.push({ ...plan.from, status: 'rolled_back' })
    if (plan.lastGoodAfter !== undefined && plan.lastGoodAfter.status !== 'last_good') rows.push({ ...plan.lastGoodAfter, status: 'last_good' })
    rows.push({ ...plan.to, status: 'active' })
    const result = { from: plan.from?.version ?? null, to: plan.to.version, lastGood: plan.lastGoodAfter?.version ?? null }
    await this.sink.commit({ strategyVersions: rows }, [{ type: 'registry.rolled_back', actor, payload: { strategy, ...result, reason } }])
    return result
  }
}

/** A validation that did not pass where one is required: a check that found a problem (exit 1). */
export class ValidationFailed extends SofiaError {}
