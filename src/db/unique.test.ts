import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect, testStore, type TestStore } from '../../test/db.js';
import { describeDuplicate, onDuplicate, uniqueViolation } from './unique.js';

describe(`unique-key violations from the real driver (${testDialect})`, () => {
  let store: TestStore;
  const experiment = (name: string) => ({ name, artifact_location: '', lifecycle_stage: 'active' as const, creation_time: 1, last_update_time: 1, deleted_time: null });
  beforeAll(async () => {
    store = await testStore();
  });
  afterAll(() => store.cleanup());

  const failure = (work: () => Promise<unknown>) => work().then(() => null, (e: unknown) => e);

  it('recognises a unique column and a composite primary key, naming table and columns but no values', async () => {
    const { db } = store.database;
    await db.insertInto('experiments').values(experiment('secret-name')).execute();
    const byName = uniqueViolation(await failure(() => db.insertInto('experiments').values(experiment('secret-name')).execute()));
    expect(byName).toEqual({ table: 'experiments', columns: ['name'] });
    expect(describeDuplicate(byName!)).toMatch(/^An experiment with the same name already exists/);
    expect(describeDuplicate(byName!)).not.toContain('secret-name');
    const tag = { experiment_id: 0, key: 'k', value: 'v' };
    await db.insertInto('experiment_tags').values(tag).execute();
    expect(uniqueViolation(await failure(() => db.insertInto('experiment_tags').values(tag).execute()))).toEqual({ table: 'experiment_tags', columns: ['experiment_id', 'key'] });
  });

  it('leaves other errors alone', async () => {
    const { db } = store.database;
    const notNull = await failure(() => db.insertInto('experiments').values({ ...experiment('x'), lifecycle_stage: null as unknown as 'active' }).execute());
    expect(notNull).toBeInstanceOf(Error);
    expect(uniqueViolation(notNull)).toBeNull();
    expect(uniqueViolation(new Error('UNIQUE constraint failed: a.b'))).toBeNull();
    await expect(onDuplicate(() => Promise.reject(notNull), () => new Error('dup'))).rejects.toBe(notNull);
  });
});
