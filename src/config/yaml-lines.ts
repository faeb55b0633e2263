/**
 * @module config/yaml-lines
 * Where a key path sits in a YAML document, so a validation error can name its line (sofia.yaml,
 * config/alerts.yaml, …).
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml'
import type { Document, LineCounter, Node as YamlNode } from 'yaml'

/** Line of the key (or list item) at `path`, else of its nearest ancestor in the document. */
export function yamlLineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
    node?.range ? lines.linePos(node.range[0]).line : undefined
  let node: unknown = doc.contents
  let line = lineAt(doc.contents)
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(doc)
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(key))
      if (!pair) break
      line = lineAt(pair.key as YamlNode | null) ?? line
      node = pair.value
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key]
      if (item === undefined) break
      line = lineAt(item as YamlNode | null) ?? line
      node = item
    } else {
      break
    }
  }
  return line
}
