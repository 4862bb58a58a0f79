import { Type, type Static } from 'typebox';

/**
 * The native API contract for tracking. Routes validate with these schemas, the OpenAPI document is generated
 * from them, and the TypeScript client takes its types from them.
 */

export const MetricValue = Type.Union([Type.Number(), Type.Union([Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')])], {
  description: 'A number; non-finite values are the strings "NaN", "Infinity", "-Infinity".',
});
const StringMap = Type.Record(Type.String(), Type.String());
const Iso = Type.String({ format: 'date-time' });

export const Experiment = Type.Object({
  id: Type.String(),
  name: Type.String(),
  artifactLocation: Type.String(),
  lifecycleStage: Type.Union([Type.Literal('active'), Type.Literal('deleted')]),
  createdAt: Iso,
  updatedAt: Iso,
  tags: StringMap,
});
export type Experiment = Static<typeof Experiment>;

export const LatestMetric = Type.Object({ value: MetricValue, step: Type.Integer(), timestamp: Iso });
export const Run = Type.Object({
  id: Type.String(),
  name: Type.String(),
  experimentId: Type.String(),
  userId: Type.String(),
  status: Type.String(),
  startTime: Iso,
  endTime: Type.Union([Iso, Type.Null()]),
  artifactUri: Type.String(),
  lifecycleStage: Type.Union([Type.Literal('active'), Type.Literal('deleted')]),
  metrics: Type.Record(Type.String(), LatestMetric),
  params: StringMap,
  tags: StringMap,
  inputs: Type.Object({
    datasets: Type.Array(
      Type.Object({
        name: Type.String(),
        digest: Type.String(),
        sourceType: Type.String(),
        source: Type.String(),
        schema: Type.Union([Type.String(), Type.Null()]),
        profile: Type.Union([Type.String(), Type.Null()]),
        tags: StringMap,
      }),
    ),
    models: Type.Array(Type.String()),
  }),
  outputs: Type.Object({ models: Type.Array(Type.Object({ modelId: Type.String(), step: Type.Integer() })) }),
});
export type Run = Static<typeof Run>;

export const ViewType = Type.Union([Type.Literal('active'), Type.Literal('deleted'), Type.Literal('all')], { default: 'active' });
const Paging = {
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 50_000, description: 'Default 1000.' })),
  pageToken: Type.Optional(Type.String()),
};

export const SearchExperimentsQuery = Type.Object({
  filter: Type.Optional(Type.String({ description: "MLflow filter grammar plus OR and parentheses, e.g. name LIKE 'fraud%' OR tags.team = 'risk'" })),
  orderBy: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  view: Type.Optional(ViewType),
  ...Paging,
});
export const ExperimentPage = Type.Object({ experiments: Type.Array(Experiment), nextPageToken: Type.Union([Type.String(), Type.Null()]) });

export const CreateExperimentBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 500 }),
  artifactLocation: Type.Optional(Type.String()),
  tags: Type.Optional(StringMap),
});
export const UpdateExperimentBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 500 }) });
export const TagValueBody = Type.Object({ value: Type.String() });

export const CreateRunBody = Type.Object({
  experimentId: Type.String(),
  name: Type.Optional(Type.String()),
  startTime: Type.Optional(Iso),
  tags: Type.Optional(StringMap),
  parentRunId: Type.Optional(Type.String()),
});
export const UpdateRunBody = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('RUNNING'), Type.Literal('SCHEDULED'), Type.Literal('FINISHED'), Type.Literal('FAILED'), Type.Literal('KILLED')])),
  endTime: Type.Optional(Type.Union([Iso, Type.Null()])),
  name: Type.Optional(Type.String()),
});

export const SearchRunsBody = Type.Object({
  experimentIds: Type.Array(Type.String(), { minItems: 1 }),
  filter: Type.Optional(Type.String({ description: 'MLflow filter grammar plus OR and parentheses.' })),
  orderBy: Type.Optional(Type.Array(Type.String())),
  view: Type.Optional(ViewType),
  ...Paging,
});
export const RunPage = Type.Object({ runs: Type.Array(Run), nextPageToken: Type.Union([Type.String(), Type.Null()]) });

export const LogBody = Type.Object({
  metrics: Type.Optional(
    Type.Array(
      Type.Object({
        key: Type.String(),
        value: MetricValue,
        step: Type.Optional(Type.Integer()),
        timestamp: Type.Optional(Type.Union([Iso, Type.Integer({ description: 'epoch milliseconds' })])),
      }),
      { maxItems: 1000 },
    ),
  ),
  params: Type.Optional(StringMap),
  tags: Type.Optional(StringMap),
});
export type LogBody = Static<typeof LogBody>;

export const MetricPoint = Type.Object({ value: MetricValue, step: Type.Integer(), timestamp: Iso });
export const HistoryPage = Type.Object({ metrics: Type.Array(MetricPoint), nextPageToken: Type.Union([Type.String(), Type.Null()]) });

export const LogInputsBody = Type.Object({
  datasets: Type.Array(
    Type.Object({
      name: Type.String(),
      digest: Type.String(),
      sourceType: Type.String(),
      source: Type.String(),
      schema: Type.Optional(Type.String()),
      profile: Type.Optional(Type.String()),
      tags: Type.Optional(StringMap),
    }),
  ),
});

export const ArtifactList = Type.Object({
  files: Type.Array(Type.Object({ path: Type.String(), isDir: Type.Boolean(), size: Type.Optional(Type.Integer()) })),
});

export const GcBody = Type.Object({
  olderThanDays: Type.Optional(Type.Number({ minimum: 0 })),
  experimentIds: Type.Optional(Type.Array(Type.String())),
  runIds: Type.Optional(Type.Array(Type.String())),
  dryRun: Type.Optional(Type.Boolean({ description: 'List what would be removed; remove nothing.' })),
});
export const GcResult = Type.Object({
  experiments: Type.Array(Type.String()),
  runs: Type.Array(Type.String()),
  loggedModels: Type.Array(Type.String()),
  skippedArtifacts: Type.Array(Type.String()),
});
export type GcResult = Static<typeof GcResult>;
