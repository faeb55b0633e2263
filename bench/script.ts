/**
 * @module bench/script
 * What makes a bench file runnable on its own (`node dist/bench/store.js [N]`), as well as a section of
 * bench/run.ts: stated once instead of in every file.
 */
import { pathToFileURL } from 'node:url'

/**
 * When `moduleUrl` is the script node was started with, runs `bench` with the count given as the first
 * argument (none: the bench's default) and prints its result as one JSON line (`indent`: pretty-printed);
 * a failure is printed and sets the exit code. Imported by bench/run.ts, it does nothing.
 */
export function runAsScript(moduleUrl: string, bench: (count: number | undefined) => Promise<unknown>, indent?: number): void {
  const script = process.argv[1]
  if (script === undefined || moduleUrl !== pathToFileURL(script).href) return
  const count = process.argv[2] === undefined ? undefined : Number(process.argv[2])
  bench(count).then(
    (r) => console.log(JSON.stringify(r, null, indent)),
    (err: unknown) => {
      console.error(err)
      process.exitCode = 1
    },
  )
}
