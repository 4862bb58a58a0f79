import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { expectError } from './api-errors.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

describe(`native registry API (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
  });
  afterAll(() => server.close());


  it('creates models and versions, moves aliases, and keeps their history', async () => {
    const { model } = await client.createModel({ name: 'fraud', description: 'fraud detector', tags: { team: 'risk' } });
    expect(model).toMatchObject({ name: 'fraud', description: 'fraud detector', tags: { team: 'risk' }, aliases: {}, versions: [], latestVersions: [] });
    await expectError(client.createModel({ name: 'fraud' }), 409, 'ALREADY_EXISTS', /already exists/);

    const digest = 'a'.repeat(64);
    const { version: v1 } = await client.createModelVersion('fraud', {
      source: 's3://models/fraud/1',
      contentDigest: digest,
      size: 1234,
      signature: { inputs: [{ name: 'amount', type: 'double' }] },
      flavor: 'onnx',
      tags: { stage: 'candidate' },
    });
    expect(v1).toMatchObject({ name: 'fraud', version: 1, stage: 'None', contentDigest: digest, size: 1234, flavor: 'onnx', tags: { stage: 'candidate' } });
    expect(v1.signature).toEqual({ inputs: [{ name: 'amount', type: 'double' }] });
    const { version: v2 } = await client.createModelVersion('fraud', { source: 's3://models/fraud/2' });
    expect(v2.version).toBe(2);
    await expectError(client.createModelVersion('nope', { source: 's3://x' }), 404, 'NOT_FOUND');

    expect((await client.setModelAlias('fraud', 'production', 1)).version.version).toBe(1);
    expect((await client.setModelAlias('fraud', 'production', 2)).version.aliases).toEqual(['production']);
    expect((await client.getModelVersionByAlias('fraud', 'production')).version.version).toBe(2);
    await expectError(client.setModelAlias('fraud', 'latest', 1), 400, 'INVALID_ARGUMENT', /reserved/);
    await expectError(client.setModelAlias('fraud', 'staging', 9), 404, 'NOT_FOUND');

    const { model: detail } = await client.getModel('fraud');
    expect(detail.aliases).toEqual({ production: 2 });
    expect(detail.versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await client.getModelVersion('fraud', 1)).version.source).toBe('s3://models/fraud/1');

    await client.deleteModelAlias('fraud', 'production');
    await expectError(client.getModelVersionByAlias('fraud', 'production'), 404, 'NOT_FOUND');

    const { entries } = await client.modelHistory('fraud');
    expect(entries.map((e) => [e.kind, e.key, e.from, e.to, e.version])).toEqual([
      ['alias', 'production', '2', null, 2],
      ['alias', 'production', '1', '2', 2],
      ['alias', 'production', null, '1', 1],
    ]);
    expect(entries[0]!.at).toMatch(/^\d{4}-/);
    expect((await client.modelHistory('fraud', { version: 1 })).entries).toHaveLength(1);
  });

  it('searches models with the filter grammar, OR included', async () => {
    await client.createModel({ name: 'churn-a', tags: { team: 'growth' } });
    await client.createModel({ name: 'churn-b' });
    const page = await client.searchModels({ filter: "name LIKE 'churn-%' OR tags.team = 'risk'", orderBy: 'name DESC' });
    expect(page.models.map((m) => m.name)).toEqual(['fraud', 'churn-b', 'churn-a']);
    const first = await client.searchModels({ maxResults: 1 });
    expect(first.models).toHaveLength(1);
    expect(first.nextPageToken).not.toBeNull();
    await expectError(client.searchModels({ filter: 'name = ' }), 400, 'INVALID_ARGUMENT');
  });

  it('documents the registry routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/models', '/api/v1/models/{name}/aliases/{alias}', '/api/v1/models/{name}/history']));
    expect(Object.keys(doc.paths).some((p) => p.includes('registered-models'))).toBe(false);
  });
});
