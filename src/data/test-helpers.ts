/**
 * @module data/test-helpers
 * Shared by the data tests: where the real fixture files live, and small temp files for bad-input cases.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

/** /work/shared/data, found relative to this file so the repo can move. */
export const SHARED_DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url))

export function sharedFile(relative: string): string {
  return join(SHARED_DATA, relative)
}

let dir: string | undefined

/** Writes `content` to a fresh file named `name` in a per-process temp dir; returns its path. */
export function tempFile(name: string, content: string, options: { gzip?: boolean } = {}): string {
  dir ??= mkdtempSync(join(tmpdir(), 'sofia-data-'))
  const path = join(dir, name)
  writeFileSync(path, options.gzip === true ? gzipSync(content) : content)
  return path
}

export function tempPath(name: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'sofia-data-'))
  return join(dir, name)
}
