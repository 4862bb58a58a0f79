import { Type, type Static, type TSchema } from 'typebox';

/**
 * The native API contract for the model registry. Routes validate with these schemas, the OpenAPI document is
 * generated from them, and the TypeScript client takes its types from them.
 */

const StringMap = Type.Record(Type.String(), Type.String());
const Iso = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Stage = Type.Union([Type.Literal('None'), Type.Literal('Staging'), Type.Literal('Production'), Type.Literal('Archived')]);

export const ModelVersion = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  source: Type.String(),
  runId: Nullable(Type.String()),
  runLink: Nullable(Type.String()),
  modelId: Nullable(Type.String({ description: 'The MLflow 3 logged model the version was registered from.' })),
  status: Type.String(),
  statusMessage: Nullable(Type.String()),
  description: Nullable(Type.String()),
  stage: Stage,
  userId: Nullable(Type.String()),
  contentDigest: Nullable(Type.String({ description: 'sha256 of the model content, when known.' })),
  size: Type.Union([Type.Integer(), Type.Null()]),
  signature: Type.Unknown(),
  flavor: Nullable(Type.String()),
  tags: StringMap,
  aliases: Type.Array(Type.String()),
  createdAt: Iso,
  updatedAt: Iso,
});
export type ModelVersion = Static<typeof ModelVersion>;

const modelFields = {
  name: Type.String(),
  description: Nullable(Type.String()),
  createdAt: Iso,
  updatedAt: Iso,
  tags: StringMap,
  aliases: Type.Record(Type.String(), Type.Integer(), { description: 'Alias name to version number.' }),
  latestVersions: Type.Array(ModelVersion, { description: 'The newest version in each stage.' }),
};
export const RegisteredModel = Type.Object(modelFields);
export type RegisteredModel = Static<typeof RegisteredModel>;
export const RegisteredModelDetail = Type.Object({ ...modelFields, versions: Type.Array(ModelVersion, { description: 'Every version, newest first.' }) });
export type RegisteredModelDetail = Static<typeof RegisteredModelDetail>;

export const SearchModelsQuery = Type.Object({
  filter: Type.Optional(Type.String({ description: "MLflow filter grammar plus OR and parentheses, e.g. name LIKE 'fraud%' OR tags.team = 'risk'" })),
  orderBy: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100.' })),
  pageToken: Type.Optional(Type.String()),
});
export const ModelPage = Type.Object({ models: Type.Array(RegisteredModel), nextPageToken: Type.Union([Type.String(), Type.Null()]) });

export const CreateModelBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(StringMap),
});

export const CreateVersionBody = Type.Object({
  source: Type.String({ minLength: 1, description: 'runs:/<run_id>/path, mlflow-artifacts:/..., models:/<model_id>, or any URI.' }),
  runId: Type.Optional(Type.String()),
  runLink: Type.Optional(Type.String()),
  modelId: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(StringMap),
  contentDigest: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  signature: Type.Optional(Type.Unknown()),
  flavor: Type.Optional(Type.String()),
});

export const RegisteredVersion = Type.Object({
  version: ModelVersion,
  sameContentAs: Type.Array(Type.Integer(), { description: 'Earlier versions of this model with the same content digest: the same bytes registered again.' }),
});
export const SetAliasBody = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  override: Type.Optional(
    Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000, description: 'why the release gate is overridden (admins only; audited)' }) }, { additionalProperties: false }),
  ),
});

export const StageMove = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  version: Type.Integer(),
  kind: Type.Union([Type.Literal('alias'), Type.Literal('stage')]),
  key: Type.String({ description: "The alias name; '' for stage moves." }),
  from: Nullable(Type.String()),
  to: Nullable(Type.String()),
  actor: Type.String(),
  at: Iso,
});
export type StageMove = Static<typeof StageMove>;

export const HistoryQuery = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  kind: Type.Optional(Type.Union([Type.Literal('alias'), Type.Literal('stage')])),
  beforeId: Type.Optional(Type.Integer()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

const OrNull = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const Lineage = Type.Object({
  ref: Type.String(),
  modelVersion: OrNull(ModelVersion),
  promotions: Type.Array(StageMove, { description: 'Alias and stage moves of the version, oldest first.' }),
  loggedModelId: OrNull(Type.String()),
  run: OrNull(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      experimentId: Type.String(),
      userId: Type.String(),
      status: Type.String(),
      startTime: Type.String({ format: 'date-time' }),
      endTime: OrNull(Type.String({ format: 'date-time' })),
      parentRunId: OrNull(Type.String()),
      params: Type.Record(Type.String(), Type.String()),
    }),
  ),
  experiment: OrNull(Type.Object({ id: Type.String(), name: Type.String() })),
  code: OrNull(
    Type.Object({
      gitCommit: OrNull(Type.String()),
      dirty: OrNull(Type.Boolean()),
      repoUrl: OrNull(Type.String()),
      sourceName: OrNull(Type.String()),
      sourceType: OrNull(Type.String()),
    }),
  ),
  datasets: Type.Array(
    Type.Object({ name: Type.String(), digest: Type.String(), source: Type.String(), sourceType: Type.String(), context: OrNull(Type.String()) }),
  ),
});
export type Lineage = Static<typeof Lineage>;
