/**
 * @module data/file-input
 * Streaming access to a data file: existence checks with one-line errors, gzip and zip detected by their magic
 * bytes (not trusted to the extension), and text delivered in chunks so no file is ever held whole in memory.
 * A zip (Binance's public dumps are one CSV in a .zip) is read through yauzl: its one file, inflated as it
 * streams; a zip holding several files is refused, naming them.
 */
import { isAscii } from 'node:buffer'
import { closeSync, createReadStream, openSync, readSync } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { PassThrough, pipeline, type Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip } from 'node:zlib'
import type yauzl from 'yauzl'
import { InputError } from '../model/index.js'

/** Chunk size for file reads: large enough that per-chunk overhead vanishes, small enough to stay cache-friendly. */
const CHUNK_BYTES = 1 << 20

export interface FileProbe {
  readonly gzip: boolean
  readonly size: number
}

/** Checks that `path` is a readable, non-empty file and whether it is gzip. */
export async function probeFile(path: string): Promise<FileProbe> {
  let size: number
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new InputError(`not a file: ${path}`)
    size = st.size
  } catch (error) {
    if (error instanceof InputError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`no such file: ${path}`, { cause: error })
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  if (size === 0) throw new InputError(`${path}: empty file`)
  const handle = await open(path, 'r')
  try {
    const magic = Buffer.alloc(2)
    const { bytesRead } = await handle.read(magic, 0, 2, 0)
    return { gzip: bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b, size }
  } finally {
    await handle.close()
  }
}

/** True when the file starts with a zip's local file header (`PK\x03\x04`). */
export function isZipFile(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const magic = Buffer.alloc(4)
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.readUInt32LE(0) === 0x04034b50
  } finally {
    closeSync(fd)
  }
}

/** The bytes of the one file in a zip, inflated as they stream (errors come out of the returned stream). */
function openZipEntry(path: string): Readable {
  const out = new PassThrough({ highWaterMark: CHUNK_BYTES })
  const fail = (message: string, cause?: unknown): void => {
    out.destroy(new InputError(`${path}: ${message}`, cause === undefined ? {} : { cause }))
  }
  // yauzl is loaded the first time a zip is read (~20 ms at start-up otherwise).
  void import('yauzl').then(({ default: lib }) => lib.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
    if (error !== null || zip === undefined) return fail(`not a readable zip (${error?.message ?? 'no entries'})`, error)
    const files: yauzl.Entry[] = []
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/')) files.push(entry)
      zip.readEntry()
    })
    let closed = false
    const close = (): void => {
      if (closed) return
      closed = true
      zip.close()
    }
    out.on('close', close)
    zip.on('error', (e: Error) => {
      close()
      fail(`corrupt zip (${e.message})`, e)
    })
    zip.on('end', () => {
      if (files.length !== 1) {
        close()
        return fail(files.length === 0 ? 'a zip with no file in it' : `a zip with ${files.length} files (${files.map((f) => f.fileName).slice(0, 5).join(', ')}); unzip it and pass the one to read`)
      }
      zip.openReadStream(files[0]!, (e, stream) => {
        if (e !== null || stream === undefined) {
          close()
          return fail(`cannot read ${files[0]!.fileName} in the zip (${e?.message ?? 'no stream'})`, e)
        }
        stream.on('error', (err: Error) => fail(`corrupt data in ${files[0]!.fileName} (${err.message})`, err))
        stream.on('end', close)
        out.on('close', () => stream.destroy())
        stream.pipe(out)
      })
    })
    zip.readEntry()
  }), (error: unknown) => fail(`cannot load the zip reader (${String(error)})`, error))
  return out
}

/** The raw byte stream of the file, gunzipped on the fly when `gzip`, the one file of a zip inflated. */
function openBytes(path: string, gzip: boolean): Readable {
  if (!gzip && isZipFile(path)) return openZipEntry(path)
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES })
  if (!gzip) return raw
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES })
  // pipeline destroys both streams on error; the error then surfaces from iterating `gunzip`.
  pipeline(raw, gunzip, () => {})
  return gunzip
}

function wrapStreamError(path: string, error: unknown): InputError {
  if (error instanceof InputError) return error
  const e = error as NodeJS.ErrnoException
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) return new InputError(`${path}: corrupt gzip data (${e.message})`, { cause: error })
  return new InputError(`cannot read ${path}: ${e.message}`, { cause: error })
}

/**
 * Text chunks of the file as they arrive, decoded as UTF-8. Market data is almost always ASCII, and an
 * ASCII chunk decodes as latin1 (a plain byte copy into a one-byte string, several times faster than UTF-8
 * decoding); from the first non-ASCII chunk on, a StringDecoder takes over so characters split across
 * chunks stay whole. Breaking out of the loop closes the file.
 */
export async function* textChunks(path: string, gzip: boolean): AsyncGenerator<string, void, undefined> {
  const stream = openBytes(path, gzip)
  let decoder: StringDecoder | undefined
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer
      if (decoder === undefined && isAscii(bytes)) {
        yield bytes.toString('latin1')
        continue
      }
      decoder ??= new StringDecoder('utf8')
      const text = decoder.write(bytes)
      if (text.length > 0) yield text
    }
    const rest = decoder?.end() ?? ''
    if (rest.length > 0) yield rest
  } catch (error) {
    throw wrapStreamError(path, error)
  } finally {
    stream.destroy()
  }
}

/** The longest line a reader accepts, in characters. */
export const MAX_LINE_CHARS = 64 * 2 ** 20

/**
 * Text chunks that each end at a line boundary (the last may lack a final newline), so line parsers never
 * see half a line. One copy per chunk, no per-line allocation.
 */
export async function* lineChunks(path: string, gzip: boolean): AsyncGenerator<string, void, undefined> {
  let carry = ''
  let consumed = 0
  for await (const chunk of textChunks(path, gzip)) {
    const text = carry.length === 0 ? chunk : carry + chunk
    const cut = text.lastIndexOf('\n')
    if (cut === -1) {
      // A file with no line breaks (a binary file, one huge JSON document) would grow one string until V8
      // refuses it with "Invalid string length" and no file name.
      if (text.length > MAX_LINE_CHARS) {
        throw new InputError(`${path}: no line break in ${MAX_LINE_CHARS / 2 ** 20} MiB from character ${consumed}: not a line-based data file`)
      }
      carry = text
      continue
    }
    consumed += cut + 1
    carry = text.slice(cut + 1)
    yield text.slice(0, cut + 1)
  }
  if (carry.length > 0) yield carry
}

/** The first `maxChars` characters of the (decompressed) file, for format sniffing. */
export async function peekText(path: string, gzip: boolean, maxChars = 65_536): Promise<string> {
  let text = ''
  for await (const chunk of textChunks(path, gzip)) {
    text += chunk
    if (text.length >= maxChars) break
  }
  return text.slice(0, maxChars)
}
