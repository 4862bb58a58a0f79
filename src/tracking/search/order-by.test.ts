import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { parseOrderBy } from './filter.js';
import { parseLoggedModelOrderBy } from './logged-models-query.js';

describe('parseOrderBy', () => {
  it('parses identifiers with an optional direction, ASC by default', () => {
    expect(
      parseOrderBy(['metrics.m12 DESC', 'start_time', 'tags.`a b` asc', 'Created desc', 'params."p.q" DeSc', 'attributes.run_name'], 'runs'),
    ).toEqual([
      { entity: 'metric', key: 'm12', direction: 'desc' },
      { entity: 'attribute', key: 'start_time', direction: 'asc' },
      { entity: 'tag', key: 'a b', direction: 'asc' },
      { entity: 'attribute', key: 'start_time', direction: 'desc' },
      { entity: 'param', key: 'p.q', direction: 'desc' },
      { entity: 'attribute', key: 'run_name', direction: 'asc' },
    ]);
  });

  it('accepts no clauses', () => {
    expect(parseOrderBy(undefined, 'runs')).toEqual([]);
    expect(parseOrderBy([], 'runs')).toEqual([]);
  });

  it('uses the attributes of the searched entity', () => {
    expect(parseOrderBy(['name', 'last_update_time DESC', 'tags.owner'], 'experiments')).toEqual([
      { entity: 'attribute', key: 'name', direction: 'asc' },
      { entity: 'attribute', key: 'last_update_time', direction: 'desc' },
      { entity: 'tag', key: 'owner', direction: 'asc' },
    ]);
    expect(parseOrderBy(['metrics.acc DESC', 'creation_time'], 'logged_models')).toEqual([
      { entity: 'metric', key: 'acc', direction: 'desc' },
      { entity: 'attribute', key: 'creation_timestamp', direction: 'asc' },
    ]);
  });

  const cases: [clauses: string[], clause: number, position: number, message: RegExp, kind?: 'experiments'][] = [
    [['metrics.m12 DESCENDING'], 0, 12, /expected ASC, DESC or the end of the clause after "metrics\.m12", found "DESCENDING"/],
    [['metrics.x desc extra'], 0, 15, /expected the end of the clause, found "extra"/],
    [[''], 0, 0, /found an empty clause/],
    [['start_time', 'colour'], 1, 0, /unknown attribute "colour" for runs/],
    [['datasets.name'], 0, 0, /runs cannot be ordered by datasets fields/],
    [['metrics.'], 0, 8, /expected a key after "metrics\."/],
    [["metrics.'x"], 0, 8, /unterminated string/],
    [['metrics.a'], 0, 0, /experiments have no metrics/, 'experiments'],
  ];

  it.each(cases)('rejects %j', (clauses, clause, position, message, kind) => {
    let error: unknown;
    try {
      parseOrderBy(clauses, kind ?? 'runs');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SlipwayError);
    const e = error as SlipwayError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toEqual({ position, clause });
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`Invalid order_by clause ${JSON.stringify(clauses[clause])} at position ${position}: `)).toBe(true);
  });
});

describe('parseLoggedModelOrderBy', () => {
  it('maps MLflow order_by items, ascending by default, with an optional dataset', () => {
    expect(
      parseLoggedModelOrderBy([
        { fieldName: 'metrics.acc', ascending: false, datasetName: 'eval', datasetDigest: 'abc' },
        { fieldName: 'creation_timestamp' },
        { fieldName: 'metrics.loss', datasetName: 'train' },
      ]),
    ).toEqual([
      { entity: 'metric', key: 'acc', direction: 'desc', dataset: { name: 'eval', digest: 'abc' } },
      { entity: 'attribute', key: 'creation_timestamp', direction: 'asc' },
      { entity: 'metric', key: 'loss', direction: 'asc', dataset: { name: 'train' } },
    ]);
  });

  it('rejects a dataset on a non-metric field and unknown fields', () => {
    expect(() => parseLoggedModelOrderBy([{ fieldName: 'name', datasetName: 'x' }])).toThrow(/dataset_name applies to metrics only/);
    expect(() => parseLoggedModelOrderBy([{ fieldName: 'metrics.a', datasetDigest: 'x' }])).toThrow(/dataset_digest needs dataset_name/);
    expect(() => parseLoggedModelOrderBy([{ fieldName: 'colour' }])).toThrow(/unknown attribute "colour" for logged models/);
  });
});
