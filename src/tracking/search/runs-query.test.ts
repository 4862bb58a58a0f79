import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect, testStore, type TestStore } from '../../../test/db.js';
import { parseFilter, parseOrderBy } from './filter.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { orderRuns, whereRunsMatch } from './runs-query.js';

/**
 * Six runs. r5 and r6 start at the same time (the run id breaks the tie); r6 is deleted; "-" is a missing value.
 *
 *      start end   status    name     user  acc   loss  lr      model      expr       team    dataset (context)
 *  r1  1000  2000  FINISHED  alpha    ann   0.9   0.1   0.01    CNN        -          Vision  train-set (training)
 *  r2  2000  -     FAILED    beta     bob   0.5   NaN   0.1     cnn        -          vision  train-set (eval), Holdout (testing)
 *  r3  3000  -     RUNNING   Gamma_1  ann   NaN   -     -       RNN%       -          nlp     -
 *  r4  4000  4500  FINISHED  gamma1   cid   0.7   -     -       -          a*b[1]?    -       -
 *  r5  5000  -     FINISHED  delta    bob   -     0.3   0.01    -          -          Vision  -
 *  r6  5000  -     KILLED    eps      ann   -     -     1e-3    -          -          -       -
 */
const runs = [
  { id: 'r1', start: 1000, end: 2000, status: 'FINISHED', name: 'alpha', user: 'ann' },
  { id: 'r2', start: 2000, end: null, status: 'FAILED', name: 'beta', user: 'bob' },
  { id: 'r3', start: 3000, end: null, status: 'RUNNING', name: 'Gamma_1', user: 'ann' },
  { id: 'r4', start: 4000, end: 4500, status: 'FINISHED', name: 'gamma1', user: 'cid' },
  { id: 'r5', start: 5000, end: null, status: 'FINISHED', name: 'delta', user: 'bob' },
  { id: 'r6', start: 5000, end: null, status: 'KILLED', name: 'eps', user: 'ann' },
];
const metrics: [string, string, number | 'NaN'][] = [
  ['r1', 'acc', 0.9],
  ['r1', 'loss', 0.1],
  ['r2', 'acc', 0.5],
  ['r2', 'loss', 'NaN'],
  ['r3', 'acc', 'NaN'],
  ['r4', 'acc', 0.7],
  ['r5', 'loss', 0.3],
];
const params: [string, string, string][] = [
  ['r1', 'lr', '0.01'],
  ['r1', 'model', 'CNN'],
  ['r2', 'lr', '0.1'],
  ['r2', 'model', 'cnn'],
  ['r3', 'model', 'RNN%'],
  ['r4', 'expr', 'a*b[1]?'],
  ['r5', 'lr', '0.01'],
  ['r6', 'lr', '1e-3'],
  // Longer than the 100-character prefix PostgreSQL indexes: equal prefixes, different values.
  ['r4', 'long', `${'x'.repeat(100)}A`],
  ['r5', 'long', `${'x'.repeat(100)}B`],
  ['r6', 'long', '😀'.repeat(120)],
];
const tags: [string, string, string][] = [
  ['r1', 'mlflow.runName', 'alpha'],
  ['r1', 'team', 'Vision'],
  ['r2', 'team', 'vision'],
  ['r3', 'team', 'nlp'],
  ['r3', 'note', "it's"],
  ['r5', 'team', 'Vision'],
];

describe(`run search queries (${testDialect})`, () => {
  let store: TestStore;
  let experimentId: number;

  beforeAll(async () => {
    store = await testStore();
    const { db } = store.database;
    const experiment = { artifact_location: 'file:///a', lifecycle_stage: 'active' as const, creation_time: 0, last_update_time: 0, deleted_time: null };
    ({ experiment_id: experimentId } = await db.insertInto('experiments').values({ ...experiment, name: 'e' }).returning('experiment_id').executeTakeFirstOrThrow());
    const other = await db.insertInto('experiments').values({ ...experiment, name: 'other' }).returning('experiment_id').executeTakeFirstOrThrow();
    await db
      .insertInto('runs')
      .values([
        ...runs.map((r) => ({
          run_uuid: r.id,
          experiment_id: experimentId,
          name: r.name,
          user_id: r.user,
          status: r.status,
          start_time: r.start,
          end_time: r.end,
          lifecycle_stage: r.id === 'r6' ? ('deleted' as const) : ('active' as const),
          artifact_uri: `file:///a/${r.id}`,
          deleted_time: null,
        })),
        // Same values as r1 in another experiment: the searches below are scoped to experimentId.
        { run_uuid: 'x1', experiment_id: other.experiment_id, name: 'alpha', user_id: 'ann', status: 'FINISHED', start_time: 1000, end_time: null, lifecycle_stage: 'active', artifact_uri: 'file:///x', deleted_time: null },
      ])
      .execute();
    await db
      .insertInto('latest_metrics')
      .values(
        [...metrics, ['x1', 'acc', 0.9] as const].map(([run_uuid, key, v]) => ({
          run_uuid,
          key,
          value: v === 'NaN' ? 0 : v,
          timestamp: 1,
          step: 0,
          is_nan: v === 'NaN' ? 1 : 0,
        })),
      )
      .execute();
    await db.insertInto('params').values(params.map(([run_uuid, key, value]) => ({ run_uuid, key, value }))).execute();
    await db.insertInto('tags').values(tags.map(([run_uuid, key, value]) => ({ run_uuid, key, value }))).execute();
    const dataset = { experiment_id: experimentId, source_type: 'local', source: '{}', schema: null, profile: null };
    await db
      .insertInto('datasets')
      .values([
        { ...dataset, dataset_uuid: 'd1', name: 'train-set', digest: 'abc' },
        { ...dataset, dataset_uuid: 'd2', name: 'Holdout', digest: 'def' },
      ])
      .execute();
    const context = (value: string) => JSON.stringify([{ key: 'mlflow.data.context', value }, { key: 'other', value: 'training' }]);
    await db
      .insertInto('run_inputs')
      .values([
        { run_uuid: 'r1', dataset_uuid: 'd1', tags: context('training') },
        { run_uuid: 'r2', dataset_uuid: 'd1', tags: context('eval') },
        { run_uuid: 'r2', dataset_uuid: 'd2', tags: JSON.stringify([{ key: 'mlflow.data.context', value: 'testing' }]) },
      ])
      .execute();
  });
  afterAll(() => store.cleanup());

  /** Run ids matching the filter (OR allowed), in the order of the clauses. */
  async function search(filter: string, orderBy: string[] = []): Promise<string[]> {
    const { db, dialect } = store.database;
    let query = db.selectFrom('runs').selectAll('runs').where('runs.experiment_id', '=', experimentId);
    query = whereRunsMatch(query, parseFilter(filter, 'runs', { allowOr: true }), dialect);
    query = orderRuns(query, parseOrderBy(orderBy, 'runs'), dialect);
    const rows = await query.execute();
    // selectAll('runs') must still return exactly the run's columns, whatever was joined.
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(Object.keys(rowShape).sort());
    return rows.map((r) => r.run_uuid);
  }
  const rowShape = { run_uuid: 0, experiment_id: 0, name: 0, user_id: 0, status: 0, start_time: 0, end_time: 0, lifecycle_stage: 0, artifact_uri: 0, deleted_time: 0 };

  it('orders by start_time DESC, then run id, without a filter or order', async () => {
    expect(await search('')).toEqual(['r5', 'r6', 'r4', 'r3', 'r2', 'r1']);
  });

  it.each([
    ['metrics.acc > 0.6', ['r4', 'r1']],
    ['metrics.acc >= 0.9', ['r1']],
    ['metrics.acc = 0.9', ['r1']],
    ['metrics.acc < 0.6', ['r2']],
    ['metrics.acc <= 0.7', ['r4', 'r2']],
    ['metrics.acc != 0.5', ['r4', 'r1']],
    ['metrics.loss <= 0.3', ['r5', 'r1']],
    ['metrics.loss > -1e9', ['r5', 'r1']],
    ['metrics.acc > 0.6 AND metrics.acc < 0.8', ['r4']],
  ])('metrics: %s (NaN and missing never match)', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it.each([
    ["params.lr = '0.01'", ['r5', 'r1']],
    ["params.lr != '0.01'", ['r6', 'r2']],
    ["params.lr IN ('0.1', '1e-3')", ['r6', 'r2']],
    ["params.lr NOT IN ('0.01')", ['r6', 'r2']],
    ["params.model LIKE 'cnn'", ['r2']],
    ["params.model LIKE 'C%'", ['r1']],
    ["params.model LIKE '%N%'", ['r3', 'r1']],
    ["params.model ILIKE 'cnn'", ['r2', 'r1']],
    ["params.model ILIKE 'c_N'", ['r2', 'r1']],
    ["params.model LIKE 'RNN\\%'", ['r3']],
    ["params.model LIKE 'RNN_'", ['r3']],
    ["params.model LIKE 'RN\\_%'", []],
    ["params.expr LIKE 'a*b[1]?'", ['r4']],
    ["params.expr LIKE 'a*%'", ['r4']],
    ["params.expr LIKE 'ab%'", []],
    ['params.model IS NULL', ['r5', 'r6', 'r4']],
    ['params.model IS NOT NULL', ['r3', 'r2', 'r1']],
    ["params.lr = '0.01' AND params.model = 'CNN'", ['r1']],
    [`params.long = '${'x'.repeat(100)}A'`, ['r4']],
    [`params.long IN ('${'x'.repeat(100)}B', '${'x'.repeat(100)}')`, ['r5']],
    [`params.long = '${'😀'.repeat(120)}'`, ['r6']],
    [`params.long = '${'😀'.repeat(100)}'`, []],
  ])('params: %s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it.each([
    ["tags.\"mlflow.runName\" = 'alpha'", ['r1']],
    ["tags.mlflow.runName = 'alpha'", ['r1']],
    ["tags.note = 'it''s'", ['r3']],
    ["tags.team = 'Vision'", ['r5', 'r1']],
    ["tags.team ILIKE 'VISION'", ['r5', 'r2', 'r1']],
    ["tags.team != 'nlp'", ['r5', 'r2', 'r1']],
    ['tags.team IS NULL', ['r6', 'r4']],
  ])('tags: %s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it.each([
    ["attributes.status = 'FINISHED'", ['r5', 'r4', 'r1']],
    ["status != 'FINISHED'", ['r6', 'r3', 'r2']],
    ["attributes.run_name LIKE 'gamma%'", ['r4']],
    ["attributes.run_name ILIKE 'gamma%'", ['r4', 'r3']],
    ["attributes.`run name` = 'beta'", ['r2']],
    ["attributes.run_id IN ('r1', 'r3', 'x1')", ['r3', 'r1']],
    ["attributes.run_id NOT IN ('r1', 'r3')", ['r5', 'r6', 'r4', 'r2']],
    ["attributes.user_id = 'bob'", ['r5', 'r2']],
    ["attributes.artifact_uri LIKE '%/r4'", ['r4']],
    ["attributes.lifecycle_stage = 'deleted'", ['r6']],
    ['attributes.start_time >= 4000', ['r5', 'r6', 'r4']],
    ['attributes.start_time > 2999.5', ['r5', 'r6', 'r4', 'r3']],
    ['attributes.start_time = 3000.5', []],
    ['created < 2500', ['r2', 'r1']],
    ['attributes.end_time > 0', ['r4', 'r1']],
    ['attributes.end_time != 2000', ['r4']],
  ])('attributes: %s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it.each([
    ["datasets.name = 'train-set'", ['r2', 'r1']],
    ["datasets.name ILIKE 'holdout'", ['r2']],
    ["datasets.name LIKE 'holdout'", []],
    ["datasets.name != 'train-set'", ['r2']],
    ["datasets.digest IN ('def')", ['r2']],
    ["datasets.digest NOT IN ('abc')", ['r2']],
    ["datasets.context = 'training'", ['r1']],
    ["datasets.context LIKE 'e%'", ['r2']],
    ["datasets.context IN ('testing', 'nope')", ['r2']],
    ["datasets.name = 'train-set' AND datasets.context = 'testing'", ['r2']],
  ])('datasets: %s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it.each([
    ["metrics.acc > 0.8 OR params.lr = '0.1'", ['r2', 'r1']],
    ["params.lr = '0.01' OR metrics.acc > 0.6 AND user_id = 'bob'", ['r5', 'r1']],
    ["(params.lr = '0.01' OR metrics.acc > 0.6) AND user_id = 'bob'", ['r5']],
    ["(params.model IS NULL OR tags.team = 'nlp') AND metrics.acc > 0", ['r4']],
    ["metrics.acc > 0.6 AND (datasets.context = 'training' OR status = 'FINISHED')", ['r4', 'r1']],
  ])('OR and parentheses: %s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it.each([
    [['metrics.acc DESC'], ['r1', 'r4', 'r2', 'r3', 'r5', 'r6']],
    [['metrics.acc'], ['r2', 'r4', 'r1', 'r3', 'r5', 'r6']],
    [['metrics.loss DESC'], ['r5', 'r1', 'r2', 'r6', 'r4', 'r3']],
    [['params.lr'], ['r5', 'r1', 'r2', 'r6', 'r4', 'r3']],
    [['params.lr DESC'], ['r6', 'r2', 'r5', 'r1', 'r4', 'r3']],
    // Code-point order on both dialects: capitals first.
    [['tags.team'], ['r5', 'r1', 'r3', 'r2', 'r6', 'r4']],
    [['attributes.run_name'], ['r3', 'r1', 'r2', 'r5', 'r6', 'r4']],
    [['end_time DESC'], ['r4', 'r1', 'r5', 'r6', 'r3', 'r2']],
    [['end_time'], ['r1', 'r4', 'r5', 'r6', 'r3', 'r2']],
    [['start_time'], ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']],
    [['status', 'run_id DESC'], ['r2', 'r5', 'r4', 'r1', 'r6', 'r3']],
    [['params.lr', 'metrics.loss DESC'], ['r5', 'r1', 'r2', 'r6', 'r4', 'r3']],
    [['tags.team DESC', 'metrics.acc DESC'], ['r2', 'r3', 'r1', 'r5', 'r4', 'r6']],
  ])('order by %j: missing last, NaN after numbers, ties by start_time DESC then id', async (orderBy, expected) => {
    expect(await search('', orderBy)).toEqual(expected);
  });

  it('filters and orders on the same keys', async () => {
    expect(await search('params.lr IS NOT NULL AND metrics.loss > 0', ['params.lr DESC', 'metrics.loss'])).toEqual(['r1', 'r5']);
    expect(await search("metrics.acc >= 0.5 AND params.model ILIKE 'cnn'", ['metrics.acc DESC'])).toEqual(['r1', 'r2']);
  });

  it("leaves the caller's unqualified column names unambiguous", async () => {
    const { db, dialect } = store.database;
    let query = db.selectFrom('runs').select(['run_uuid', 'name']).where('experiment_id', '=', experimentId);
    query = whereRunsMatch(query, parseFilter("params.lr = '0.01' AND metrics.loss > 0", 'runs'), dialect);
    query = orderRuns(query, parseOrderBy(['tags.team', 'params.lr'], 'runs'), dialect);
    expect(await query.execute()).toEqual([
      { run_uuid: 'r5', name: 'delta' },
      { run_uuid: 'r1', name: 'alpha' },
    ]);
  });

  it('pages through an ordered result with page tokens', async () => {
    const { db, dialect } = store.database;
    const page = async (token: string | undefined) => {
      let query = db.selectFrom('runs').select('runs.run_uuid').where('runs.experiment_id', '=', experimentId);
      query = whereRunsMatch(query, parseFilter("params.lr != 'x' OR tags.team IS NOT NULL", 'runs', { allowOr: true }), dialect);
      query = orderRuns(query, parseOrderBy(['metrics.acc DESC'], 'runs'), dialect);
      const rows = await query.limit(3).offset(decodePageToken(token)).execute();
      return rows.map((r) => r.run_uuid);
    };
    expect(await page(undefined)).toEqual(['r1', 'r2', 'r3']);
    expect(await page(encodePageToken(3))).toEqual(['r5', 'r6']);
  });

  it('refuses selectAll() without a table, which would return joined columns', () => {
    const { db, dialect } = store.database;
    const query = db.selectFrom('runs').selectAll();
    expect(() => whereRunsMatch(query, parseFilter("params.lr = '1'", 'runs'), dialect)).toThrow(/selectAll\(table\)/);
  });
});
