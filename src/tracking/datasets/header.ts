/**
 * The one rule for a file's column names, shared by dataset profiles, evaluation and monitoring readers: a name is
 * trimmed, a blank one becomes `column_N`, and a name given twice is refused, because every reader keys columns by
 * name and would otherwise let one column silently take the other's values.
 */
import { invalid } from '../../core/errors.js';

/**
 * `where` names the place in messages, e.g. `data.csv: line 1`. `exact` keeps names as written (Parquet, whose rows
 * are keyed by the schema's own names); CSV header cells are trimmed.
 */
export function headerNames(record: readonly string[], where: string, exact = false): string[] {
  const seen = new Set<string>();
  return record.map((raw, i) => {
    const name = exact ? raw : raw.trim() || `column_${i + 1}`;
    if (seen.has(name)) throw invalid(`${where}: the header names column "${name}" twice; give every column a unique name`, { line: 1, column: name });
    seen.add(name);
    return name;
  });
}
