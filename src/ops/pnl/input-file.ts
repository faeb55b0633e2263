/**
 * @module ops/pnl/input-file
 * Reading a file a report is given on the command line (`--costs`, `--marks`).
 */
import { readFile } from 'node:fs/promises'
import { InputError } from '../../model/index.js'

/** The text of the file given as `option`; one that cannot be read is an InputError naming the option and the file. */
export async function readInputFile(option: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new InputError(`${option}: cannot read ${file}`, { cause: error })
  }
}
