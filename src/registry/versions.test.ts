import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect, testStore, type TestStore } from '../../test/db.js';
import { LOCAL_ACTOR } from '../core/actor.js';
import { ensureDefaultExperiment } from '../tracking/experiments.js';
import { createLoggedModel } from '../tracking/logged-models.js';
import { createRun } from '../tracking/runs.js';
import { listStageHistory, setAlias } from './aliases.js';
import { createRegisteredModel, deleteRegisteredModel, renameRegisteredModel } from './models.js';
import { createModelVersion, getModelVersionDownloadUri, listModelVersions, transitionModelVersionStage } from './versions.js';

describe(`registry versions service (${testDialect})`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await testStore();
    await ensureDefaultExperiment(store.database.db);
  });
  afterAll(() => store.cleanup());

  it('numbers concurrent creates uniquely and consecutively', async () => {
    const { db } = store.database;
    await createRegisteredModel(db, LOCAL_ACTOR, { name: 'race' });
    const created = await Promise.all(Array.from({ length: 30 }, () => createModelVersion(db, LOCAL_ACTOR, { name: 'race', source: 's3://b/m' })));
    expect(created.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('registers an MLflow 3 logged model from a models:/<model_id> source', async () => {
    const { db } = store.database;
    const run = await createRun(db, LOCAL_ACTOR, { experimentId: '0' });
    const logged = await createLoggedModel(db, LOCAL_ACTOR, { experimentId: '0', sourceRunId: run.info.runId });
    await createRegisteredModel(db, LOCAL_ACTOR, { name: 'logged' });
    const v = await createModelVersion(db, LOCAL_ACTOR, { name: 'logged', source: `models:/${logged.modelId}` });
    expect(v).toMatchObject({ version: 1, modelId: logged.modelId, runId: run.info.runId });
    expect(await getModelVersionDownloadUri(db, 'logged', 1)).toBe(logged.artifactUri);
    await expect(createModelVersion(db, LOCAL_ACTOR, { name: 'logged', source: 's3://x', modelId: 'm-0123456789abcdef0123456789abcdef' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('rename keeps versions and history; delete removes everything', async () => {
    const { db } = store.database;
    await createRegisteredModel(db, LOCAL_ACTOR, { name: 'before' });
    await createModelVersion(db, LOCAL_ACTOR, { name: 'before', source: 's3://b/1' });
    await setAlias(db, LOCAL_ACTOR, 'before', 'prod', 1);
    await transitionModelVersionStage(db, LOCAL_ACTOR, 'before', 1, 'Production', false);
    await renameRegisteredModel(db, LOCAL_ACTOR, 'before', 'after');
    expect((await listModelVersions(db, 'after')).map((v) => [v.version, v.aliases, v.currentStage])).toEqual([[1, ['prod'], 'Production']]);
    expect((await listStageHistory(db, 'after')).map((h) => h.kind)).toEqual(['stage', 'alias']);
    await deleteRegisteredModel(db, LOCAL_ACTOR, 'after');
    const left = await db.selectFrom('model_versions').select('id').where('name', '=', 'after').execute();
    expect(left).toEqual([]);
    await expect(listStageHistory(db, 'after')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
