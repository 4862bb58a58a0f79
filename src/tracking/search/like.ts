/**
 * LIKE patterns follow PostgreSQL's default: `%` matches any run of characters, `_` one character, and a
 * backslash makes the next character literal (a trailing lone backslash is itself literal). The pattern is
 * parsed once and rendered for whichever operator the dialect uses, so both dialects match the same strings.
 */
type Part = { wildcard: '%' | '_' } | { literal: string };

function parseLike(pattern: string): Part[] {
  const parts: Part[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') parts.push({ literal: i + 1 < chars.length ? chars[++i]! : '\\' });
    else if (c === '%' || c === '_') parts.push({ wildcard: c });
    else parts.push({ literal: c });
  }
  return parts;
}

/** The pattern for SQLite's GLOB, which is case-sensitive where SQLite's LIKE is not. */
export function likeToGlob(pattern: string): string {
  return parseLike(pattern)
    .map((p) => {
      if ('wildcard' in p) return p.wildcard === '%' ? '*' : '?';
      return p.literal === '*' || p.literal === '?' || p.literal === '[' ? `[${p.literal}]` : p.literal;
    })
    .join('');
}

/** The pattern for LIKE/ILIKE with backslash as the escape character, every literal wildcard escaped. */
export function likeToEscaped(pattern: string): string {
  return parseLike(pattern)
    .map((p) => ('wildcard' in p ? p.wildcard : /[%_\\]/.test(p.literal) ? `\\${p.literal}` : p.literal))
    .join('');
}
