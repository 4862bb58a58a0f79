import { Type, type Static } from 'typebox';
import { isoOf } from '../../core/clock.js';
import type { App, AppContext } from '../../server/app.js';
import { acceptRawBodies } from '../../server/artifact-http.js';
import { datasetAccess } from './source-access.js';
import { storeDatasetUpload } from './uploads.js';
import { getDatasetVersion, listDatasets, listDatasetVersions, registerDatasetVersion, type DatasetVersion as Version } from './versions.js';

export const DatasetVersion = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  digest: Type.String({ description: 'sha256 of the bytes, hex' }),
  source: Type.String(),
  sourceType: Type.String(),
  format: Type.String(),
  sizeBytes: Type.Integer(),
  rowCount: Type.Integer(),
  schema: Type.Unknown({ description: 'columns: name, type, nullable' }),
  profile: Type.Unknown({ description: 'per column: missing share, min/max/mean/std and quantiles, or top categories' }),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
});
export type DatasetVersionJson = Static<typeof DatasetVersion>;

export const RegisterDatasetBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 250 }),
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  source: Type.String({ maxLength: 65_535 }),
  sourceType: Type.String({ maxLength: 100 }),
  format: Type.String({ maxLength: 50 }),
  sizeBytes: Type.Integer({ minimum: 0 }),
  rowCount: Type.Integer({ minimum: 0 }),
  schema: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), nullable: Type.Boolean() }, { additionalProperties: true })),
  profile: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'one entry per column' }),
});
export type RegisterDatasetBody = Static<typeof RegisterDatasetBody>;

const json = (v: Version): DatasetVersionJson => ({ ...v, createdAt: isoOf(v.createdAt)! });
const tags = ['datasets'];

/** Dataset versions under /api/v1/datasets. */
export async function registerDatasetRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db } = ctx.database;
  const access = datasetAccess(ctx.trust, ctx.artifacts);

  app.post(
    '/datasets',
    { schema: { tags, body: RegisterDatasetBody, response: { 200: Type.Object({ version: DatasetVersion, created: Type.Boolean() }), 201: Type.Object({ version: DatasetVersion, created: Type.Boolean() }) } } },
    async (req, reply) => {
      const { version, created } = await registerDatasetVersion(db, req.actor, req.body, access);
      return reply.status(created ? 201 : 200).send({ version: json(version), created });
    },
  );

  await app.register(async (plugin) => {
    const upload = plugin as App;
    acceptRawBodies(upload);
    upload.put(
      '/datasets/files/:digest',
      {
        schema: {
          tags,
          description: 'Uploads a dataset file into the artifact store under its sha256; register it with the returned source.',
          params: Type.Object({ digest: Type.String() }),
          response: { 200: Type.Object({ source: Type.String(), sizeBytes: Type.Integer() }) },
        },
      },
      async (req) => {
        const declared = Number(req.headers['content-length']);
        return storeDatasetUpload(access, req.params.digest, req.raw, Number.isFinite(declared) ? declared : undefined);
      },
    );
  });

  app.get('/datasets', { schema: { tags, response: { 200: Type.Object({ datasets: Type.Array(DatasetVersion) }) } } }, async () => ({
    datasets: (await listDatasets(db)).map(json),
  }));

  app.get('/datasets/:name', { schema: { tags, params: Type.Object({ name: Type.String() }), response: { 200: Type.Object({ versions: Type.Array(DatasetVersion) }) } } }, async (req) => ({
    versions: (await listDatasetVersions(db, req.params.name)).map(json),
  }));

  app.get(
    '/datasets/:name/versions/:version',
    { schema: { tags, params: Type.Object({ name: Type.String(), version: Type.String({ description: 'version number or digest' }) }), response: { 200: Type.Object({ version: DatasetVersion }) } } },
    async (req) => ({ version: json(await getDatasetVersion(db, req.params.name, req.params.version)) }),
  );
}
