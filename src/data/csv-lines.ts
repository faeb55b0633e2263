/**
 * @module data/csv-lines
 * Lines of a CSV file in chunk-sized arrays (one await per chunk, not per line), `\r\n` tolerated.
 * Used by the lighter CSV readers; the Sofia CSV reader has its own tighter loop.
 */
import { lineChunks } from './file-input.js'

export async function* csvLineArrays(path: string, gzip: boolean): AsyncGenerator<string[], void, undefined> {
  for await (const chunk of lineChunks(path, gzip)) {
    const lines = chunk.split('\n')
    // A chunk ends with '\n', which leaves one empty string that is not a line.
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1)
    }
    yield lines
  }
}
