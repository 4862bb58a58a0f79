/** Checks a frame against the columns a model reads, with messages that say what to fix. */
import { invalid } from '../core/errors.js';
import type { Column, Frame } from './frame.js';
import type { RuntimeInput } from './types.js';

const list = (names: string[], max = 10) => names.slice(0, max).join(', ') + (names.length > max ? `, … (${names.length - max} more)` : '');

/**
 * Throws `invalid` when an input column is missing (naming them, and the frame's columns the model does not read as
 * likely renames) or when a string column holds non-numbers where the model needs numbers. A string column whose
 * values are all null is accepted for a number input (all missing). Returns the columns in input order.
 */
export function columnsFor(frame: Frame, inputs: RuntimeInput[]): Column[] {
  const missing = inputs.filter((i) => !frame.columns.has(i.name)).map((i) => i.name);
  if (missing.length > 0) {
    const wanted = new Set(inputs.map((i) => i.name));
    const extra = [...frame.columns.keys()].filter((c) => !wanted.has(c));
    throw invalid(
      `the data lacks ${missing.length === 1 ? 'the column' : 'columns'} the model reads: ${list(missing)}` +
        (extra.length > 0 ? `; columns the model does not read (renamed?): ${list(extra)}` : ''),
      { missing, unused: extra },
    );
  }
  return inputs.map((input) => {
    const c = frame.columns.get(input.name)!;
    if (input.type === 'number' && c.kind === 'string') {
      // Point at a value that is not a number, if there is one: that is the value that made the column text.
      let row = c.values.findIndex((v) => v !== null && v !== '' && !Number.isFinite(Number(v)));
      if (row < 0) row = c.values.findIndex((v) => v !== null && v !== '');
      if (row >= 0) {
        const bad = c.values[row]!;
        throw invalid(`column "${input.name}" holds text (e.g. ${JSON.stringify(bad.length > 40 ? bad.slice(0, 40) + '…' : bad)} in row ${row + 1}) where the model needs numbers`, {
          column: input.name,
          example: bad,
          row: row + 1,
        });
      }
    }
    return c;
  });
}
