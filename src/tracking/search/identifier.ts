import { DATASET_KEYS, entitiesOf, type EntityType, type SearchSpec } from './specs.js';
import type { Token } from './tokenize.js';

/** Builds the error to throw for a problem found at a position (the caller knows what is being parsed). */
export type Fail = (position: number, problem: string) => Error;

const PREFIXES: Record<string, EntityType> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  parameter: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  datasets: 'dataset',
  dataset: 'dataset',
};

/** How messages spell each entity. */
export const ENTITY_LABEL: Record<EntityType, string> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  attribute: 'attributes',
  dataset: 'datasets',
};

export interface Identifier {
  entity: EntityType;
  /** The key, unquoted; for attributes the canonical name (aliases resolved). */
  key: string;
  /** Offset of the identifier's first character. */
  position: number;
  /** The identifier as written, for messages. */
  text: string;
}

/**
 * Reads `<prefix>.<key>` (key bare, "double-quoted" or `backticked`) or an unprefixed attribute name starting at
 * `tokens[index]`, checks it against the spec, and returns it with the index of the next token.
 */
export function readIdentifier(
  input: string,
  tokens: Token[],
  index: number,
  spec: SearchSpec,
  fail: Fail,
): { identifier: Identifier; next: number } {
  const first = tokens[index]!;
  let entity: EntityType = 'attribute';
  let key: string;
  let next = index + 1;

  if (first.kind === 'backtick') {
    key = first.value;
  } else if (first.kind === 'word' && first.text.includes('.')) {
    const dot = first.text.indexOf('.');
    const prefix = first.text.slice(0, dot);
    const found = PREFIXES[prefix.toLowerCase()];
    if (!found) {
      throw fail(first.start, `unknown prefix "${prefix}" in "${first.text}"; expected ${prefixList(spec)} or an attribute name`);
    }
    entity = found;
    key = first.text.slice(dot + 1);
    if (key === '') {
      const quoted = tokens[next]!;
      if (quoted.kind !== 'string' && quoted.kind !== 'backtick') {
        throw fail(quoted.start, `expected a key after "${first.text}" (a name, "quoted" or \`quoted\`), found ${describe(quoted)}`);
      }
      key = quoted.value;
      next++;
    }
  } else if (first.kind === 'word') {
    key = first.text;
  } else {
    throw fail(first.start, `expected an identifier such as ${prefixList(spec)}<key> or an attribute name, found ${describe(first)}`);
  }

  const text = input.slice(first.start, tokens[next]!.start).trimEnd();
  if (!entitiesOf(spec).includes(entity)) {
    throw fail(first.start, `"${text}": ${spec.name} have no ${ENTITY_LABEL[entity]}; use ${prefixList(spec)} or an attribute name`);
  }
  if (key === '') throw fail(first.start, `"${text}" has an empty key`);
  if (entity === 'attribute') {
    const canonical = spec.aliases[key] ?? key;
    if (!spec.attributes[canonical]) {
      throw fail(first.start, `unknown attribute "${key}" for ${spec.name}; valid attributes are ${Object.keys(spec.attributes).join(', ')}`);
    }
    key = canonical;
  }
  if (entity === 'dataset' && !(DATASET_KEYS as readonly string[]).includes(key)) {
    throw fail(first.start, `unknown dataset field "${key}"; valid fields are ${DATASET_KEYS.join(', ')}`);
  }
  return { identifier: { entity, key, position: first.start, text }, next };
}

function prefixList(spec: SearchSpec): string {
  return entitiesOf(spec)
    .map((e) => `${ENTITY_LABEL[e]}.`)
    .join(', ');
}

/** A token as messages quote it. */
export function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the input';
  return token.kind === 'string' || token.kind === 'backtick' ? token.text : `"${token.text}"`;
}
