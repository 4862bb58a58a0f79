import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect, testStore, type TestStore } from '../../../test/db.js';
import { parseFilter, parseOrderBy, type OrderByClause } from './filter.js';
import { orderLoggedModels, parseLoggedModelOrderBy, whereLoggedModelsMatch, type DatasetScope } from './logged-models-query.js';

/**
 *      name   created updated status   type     source  acc history (timestamp: value @dataset/digest)   params   tags
 *  m1  clf-a  100     150     READY    sklearn  r1      1: 0.5 @eval/d1, 2: 0.9 @eval/d1; loss 0.2 @train lr=0.1   stage=prod
 *  m2  clf-b  200     200     READY    -        r2      1: 0.8 @test/d2                                  lr=0.01  -
 *  m3  Reg    300     300     FAILED   torch    -       1: 0.95 @eval/d1, 5: NaN @eval/d1                -        -
 *  m4  other  300     300     PENDING  -        -       -                                                -        stage=dev
 */
const models = [
  { model_id: 'm1', name: 'clf-a', creation_timestamp: 100, last_updated_timestamp: 150, status: 'READY', model_type: 'sklearn', source_run_id: 'r1' },
  { model_id: 'm2', name: 'clf-b', creation_timestamp: 200, last_updated_timestamp: 200, status: 'READY', model_type: null, source_run_id: 'r2' },
  { model_id: 'm3', name: 'Reg', creation_timestamp: 300, last_updated_timestamp: 300, status: 'FAILED', model_type: 'torch', source_run_id: null },
  { model_id: 'm4', name: 'other', creation_timestamp: 300, last_updated_timestamp: 300, status: 'PENDING', model_type: null, source_run_id: null },
];
const metrics: [model: string, key: string, timestamp: number, step: number, value: number | 'NaN', dataset: string, digest: string][] = [
  ['m1', 'acc', 1, 0, 0.5, 'eval', 'd1'],
  ['m1', 'acc', 2, 1, 0.9, 'eval', 'd1'],
  ['m1', 'loss', 1, 0, 0.2, 'train', 'd0'],
  ['m2', 'acc', 1, 0, 0.8, 'test', 'd2'],
  ['m3', 'acc', 1, 0, 0.95, 'eval', 'd1'],
  ['m3', 'acc', 5, 0, 'NaN', 'eval', 'd1'],
];

describe(`logged model search queries (${testDialect})`, () => {
  let store: TestStore;

  beforeAll(async () => {
    store = await testStore();
    const { db } = store.database;
    await db
      .insertInto('logged_models')
      .values(models.map((m) => ({ ...m, experiment_id: 1, artifact_location: `file:///${m.model_id}`, status_message: null, lifecycle_stage: 'active' as const })))
      .execute();
    await db
      .insertInto('logged_model_metrics')
      .values(
        metrics.map(([model_id, key, timestamp, step, value, dataset_name, dataset_digest]) => ({
          model_id,
          run_uuid: 'r',
          key,
          timestamp,
          step,
          value: value === 'NaN' ? 0 : value,
          is_nan: value === 'NaN' ? 1 : 0,
          dataset_name,
          dataset_digest,
        })),
      )
      .execute();
    await db.insertInto('logged_model_params').values([
      { model_id: 'm1', key: 'lr', value: '0.1' },
      { model_id: 'm2', key: 'lr', value: '0.01' },
    ]).execute();
    await db.insertInto('logged_model_tags').values([
      { model_id: 'm1', key: 'stage', value: 'prod' },
      { model_id: 'm4', key: 'stage', value: 'dev' },
    ]).execute();
  });
  afterAll(() => store.cleanup());

  async function search(filter: string, orderBy: string[] | OrderByClause[] = [], datasets: DatasetScope[] = []): Promise<string[]> {
    const { db, dialect } = store.database;
    const clauses = orderBy.every((c) => typeof c === 'string') ? parseOrderBy(orderBy as string[], 'logged_models') : (orderBy as OrderByClause[]);
    let query = db.selectFrom('logged_models').select('logged_models.model_id');
    query = whereLoggedModelsMatch(query, parseFilter(filter, 'logged_models', { allowOr: true }), dialect, datasets);
    query = orderLoggedModels(query, clauses, dialect);
    return (await query.execute()).map((r) => r.model_id);
  }

  it('orders by creation_timestamp DESC, then model_id, by default', async () => {
    expect(await search('')).toEqual(['m3', 'm4', 'm2', 'm1']);
  });

  it.each([
    // Any logged value of the key can match, as in MLflow: m1 logged 0.5 then 0.9, m3 0.95 then NaN.
    ['metrics.acc > 0.85', ['m3', 'm1']],
    ['metrics.acc < 0.6', ['m1']],
    ['metrics.acc != 0.8', ['m3', 'm1']],
    ["params.lr = '0.1'", ['m1']],
    ["params.lr LIKE '0.0%'", ['m2']],
    ['tags.stage IS NULL', ['m3', 'm2']],
    ["tags.stage IN ('dev', 'qa')", ['m4']],
    ["name LIKE 'clf%'", ['m2', 'm1']],
    ["name ILIKE 'reg'", ['m3']],
    ["model_type = 'sklearn'", ['m1']],
    ["model_type != 'sklearn'", ['m3']],
    ["status = 'READY'", ['m2', 'm1']],
    ["source_run_id IN ('r1', 'r2')", ['m2', 'm1']],
    ["model_id NOT IN ('m1', 'm4')", ['m3', 'm2']],
    ['creation_time >= 200', ['m3', 'm4', 'm2']],
    ['last_updated_timestamp < 200', ['m1']],
    ["metrics.acc > 0.85 OR tags.stage = 'dev'", ['m3', 'm4', 'm1']],
  ])('%s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it('restricts metrics to the datasets given', async () => {
    expect(await search('metrics.acc > 0.85', [], [{ name: 'eval' }])).toEqual(['m3', 'm1']);
    expect(await search('metrics.acc > 0.85', [], [{ name: 'test' }])).toEqual([]);
    expect(await search('metrics.acc > 0.7', [], [{ name: 'test' }, { name: 'nope' }])).toEqual(['m2']);
    expect(await search('metrics.acc > 0.7', [], [{ name: 'eval', digest: 'other' }])).toEqual([]);
    // Without a metric test, a model needs some metric on one of the datasets.
    expect(await search('', [], [{ name: 'eval', digest: 'd1' }])).toEqual(['m3', 'm1']);
    expect(await search("params.lr = '0.1'", [], [{ name: 'train' }])).toEqual(['m1']);
    expect(await search("params.lr = '0.1'", [], [{ name: 'test' }])).toEqual([]);
  });

  it.each([
    [['metrics.acc DESC'], ['m1', 'm2', 'm3', 'm4']],
    [['metrics.acc'], ['m2', 'm1', 'm3', 'm4']],
    [['name'], ['m3', 'm1', 'm2', 'm4']],
    [['model_type'], ['m1', 'm3', 'm4', 'm2']],
    [['model_type DESC'], ['m3', 'm1', 'm4', 'm2']],
    [['creation_time'], ['m1', 'm2', 'm3', 'm4']],
    [['params.lr DESC'], ['m1', 'm2', 'm3', 'm4']],
    [['tags.stage'], ['m4', 'm1', 'm3', 'm2']],
  ])('order by %j: the latest metric value, missing last, NaN after numbers', async (orderBy, expected) => {
    expect(await search('', orderBy)).toEqual(expected);
  });

  it('orders by a metric on one dataset', async () => {
    const onTest = parseLoggedModelOrderBy([{ fieldName: 'metrics.acc', ascending: false, datasetName: 'test' }]);
    expect(await search('', onTest)).toEqual(['m2', 'm3', 'm4', 'm1']);
    const onEval = parseLoggedModelOrderBy([{ fieldName: 'metrics.acc', ascending: false, datasetName: 'eval', datasetDigest: 'd1' }]);
    expect(await search('', onEval)).toEqual(['m1', 'm3', 'm4', 'm2']);
  });
});
