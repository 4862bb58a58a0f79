import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect, testStore, type TestStore } from '../../../test/db.js';
import { orderExperiments, whereExperimentsMatch } from './experiments-query.js';
import { parseFilter, parseOrderBy } from './filter.js';

/**
 *        created  updated  stage    tags
 *  Alpha   100      500    active   owner=ann, team=ml
 *  beta    200      300    active   owner=bob
 *  gamma   200      200    deleted  team=ML
 *  delta   400      400    active   -
 */
const experiments = [
  { name: 'Alpha', creation_time: 100, last_update_time: 500, lifecycle_stage: 'active' as const, tags: { owner: 'ann', team: 'ml' } },
  { name: 'beta', creation_time: 200, last_update_time: 300, lifecycle_stage: 'active' as const, tags: { owner: 'bob' } },
  { name: 'gamma', creation_time: 200, last_update_time: 200, lifecycle_stage: 'deleted' as const, tags: { team: 'ML' } },
  { name: 'delta', creation_time: 400, last_update_time: 400, lifecycle_stage: 'active' as const, tags: {} },
];

describe(`experiment search queries (${testDialect})`, () => {
  let store: TestStore;
  const ids = new Map<string, number>();
  const names = new Map<number, string>();

  beforeAll(async () => {
    store = await testStore();
    const { db } = store.database;
    for (const { tags, ...e } of experiments) {
      const { experiment_id } = await db
        .insertInto('experiments')
        .values({ ...e, artifact_location: `file:///${e.name}`, deleted_time: null })
        .returning('experiment_id')
        .executeTakeFirstOrThrow();
      ids.set(e.name, Number(experiment_id));
      names.set(Number(experiment_id), e.name);
      for (const [key, value] of Object.entries(tags)) {
        await db.insertInto('experiment_tags').values({ experiment_id, key, value }).execute();
      }
    }
  });
  afterAll(() => store.cleanup());

  async function search(filter: string, orderBy: string[] = []): Promise<string[]> {
    const { db, dialect } = store.database;
    let query = db.selectFrom('experiments').select('experiments.experiment_id');
    query = whereExperimentsMatch(query, parseFilter(filter, 'experiments', { allowOr: true }), dialect);
    query = orderExperiments(query, parseOrderBy(orderBy, 'experiments'), dialect);
    return (await query.execute()).map((r) => names.get(Number(r.experiment_id))!);
  }

  it('orders by creation_time DESC, then experiment_id, by default', async () => {
    expect(await search('')).toEqual(['delta', 'beta', 'gamma', 'Alpha']);
  });

  it.each([
    ["name = 'beta'", ['beta']],
    ["attributes.name LIKE 'a%'", []],
    ["name ILIKE 'a%'", ['Alpha']],
    ["name != 'beta'", ['delta', 'gamma', 'Alpha']],
    ['creation_time >= 200', ['delta', 'beta', 'gamma']],
    ['last_update_time < 300', ['gamma']],
    ["lifecycle_stage = 'deleted'", ['gamma']],
    ["tags.owner = 'ann'", ['Alpha']],
    ["tags.team LIKE 'ml'", ['Alpha']],
    ["tags.team ILIKE 'ml'", ['gamma', 'Alpha']],
    ['tags.owner IS NULL', ['delta', 'gamma']],
    ["tags.owner IS NOT NULL AND tags.team = 'ml'", ['Alpha']],
    ["tags.owner = 'bob' OR name = 'delta'", ['delta', 'beta']],
  ])('%s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it('compares experiment ids as strings, as MLflow does', async () => {
    const [alpha, gamma] = [ids.get('Alpha')!, ids.get('gamma')!];
    expect(await search(`experiment_id = '${alpha}'`)).toEqual(['Alpha']);
    expect(await search(`experiment_id IN ('${alpha}', '${gamma}')`)).toEqual(['gamma', 'Alpha']);
    expect(await search(`experiment_id NOT IN ('${alpha}', '${gamma}')`)).toEqual(['delta', 'beta']);
    expect(await search("experiment_id = 'not-a-number'")).toEqual([]);
  });

  it.each([
    [['name'], ['Alpha', 'beta', 'delta', 'gamma']],
    [['name DESC'], ['gamma', 'delta', 'beta', 'Alpha']],
    [['last_update_time DESC'], ['Alpha', 'delta', 'beta', 'gamma']],
    [['creation_time'], ['Alpha', 'beta', 'gamma', 'delta']],
    [['tags.owner DESC'], ['beta', 'Alpha', 'delta', 'gamma']],
    [['experiment_id DESC'], ['delta', 'gamma', 'beta', 'Alpha']],
  ])('order by %j', async (orderBy, expected) => {
    expect(await search('', orderBy)).toEqual(expected);
  });
});
