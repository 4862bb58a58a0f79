import { invalid } from '../../core/errors.js';

/**
 * A lexical token of the search grammar. `start` is the 0-based offset of its first character in the input;
 * `text` is the raw source text and `value` the unescaped content of a quoted token.
 */
export type Token =
  | { kind: 'word'; text: string; value: string; start: number }
  | { kind: 'string'; text: string; value: string; start: number }
  | { kind: 'backtick'; text: string; value: string; start: number }
  | { kind: 'operator'; text: '=' | '!=' | '<' | '<=' | '>' | '>='; value: string; start: number }
  | { kind: '(' | ')' | ','; text: string; value: string; start: number }
  | { kind: 'end'; text: ''; value: ''; start: number };

const WORD_CHAR = /[A-Za-z0-9_\-./:]/;
const NUMBER_BEFORE_EXPONENT_SIGN = /^[-+]?(\d+\.?\d*|\.\d+)[eE]$/;

/**
 * Splits a filter or order_by string into tokens; the last token is always `end`.
 * `label` names the input in error messages ("filter", "order_by clause ..."). Throws `invalid` with the
 * position of an unterminated quote or an unexpected character, plus `details`.
 */
export function tokenize(input: string, label = 'filter', details: Record<string, unknown> = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      const { value, end } = readQuoted(input, i, label, details);
      tokens.push({ kind: c === '`' ? 'backtick' : 'string', text: input.slice(i, end), value, start: i });
      i = end;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, value: c, start: i });
      i++;
    } else if (c === '=' || c === '<' || c === '>' || c === '!') {
      const two = input.slice(i, i + 2);
      const text = two === '!=' || two === '<=' || two === '>=' ? two : c;
      if (text === '!') throw syntaxError(label, i, 'expected "!=" but found a lone "!"', details);
      tokens.push({ kind: 'operator', text: text as '=' | '<' | '>' | '!=' | '<=' | '>=', value: text, start: i });
      i += text.length;
    } else if (WORD_CHAR.test(c) || (c === '+' && /[\d.]/.test(input[i + 1] ?? ''))) {
      let end = i + 1;
      while (end < input.length) {
        const d = input[end]!;
        // "1e+5": a plus sign belongs to the word only as the sign of a number's exponent.
        if (WORD_CHAR.test(d) || (d === '+' && NUMBER_BEFORE_EXPONENT_SIGN.test(input.slice(i, end)))) end++;
        else break;
      }
      const text = input.slice(i, end);
      tokens.push({ kind: 'word', text, value: text, start: i });
      i = end;
    } else {
      throw syntaxError(label, i, `unexpected character ${JSON.stringify(c)}`, details);
    }
  }
  tokens.push({ kind: 'end', text: '', value: '', start: input.length });
  return tokens;
}

/** The error every syntax and semantic check throws: the message starts with where the problem is. */
export function syntaxError(label: string, position: number, problem: string, details: Record<string, unknown> = {}) {
  return invalid(`Invalid ${label} at position ${position}: ${problem}`, { position, ...details });
}

/**
 * Reads a quoted token starting at `start`. The quote is escaped by doubling it or with a backslash, and `\\`
 * is one backslash; any other backslash is kept as written, so LIKE escapes such as `\%` reach the pattern.
 */
function readQuoted(input: string, start: number, label: string, details: Record<string, unknown>): { value: string; end: number } {
  const quote = input[start]!;
  let value = '';
  let i = start + 1;
  while (i < input.length) {
    const c = input[i]!;
    if (c === quote) {
      if (input[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (c === '\\' && i + 1 < input.length) {
      const next = input[i + 1]!;
      value += next === quote || next === '\\' ? next : c + next;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  const what = quote === '`' ? 'backtick-quoted name' : 'string';
  throw syntaxError(label, start, `unterminated ${what}: no closing ${quote} for the one opened here`, details);
}
