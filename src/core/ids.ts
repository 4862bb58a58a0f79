import { randomBytes, randomUUID } from 'node:crypto';

/** MLflow run ids are 32 lowercase hex characters (a UUID without dashes). */
export const newRunId = (): string => randomUUID().replaceAll('-', '');

/** MLflow 3 logged-model ids look like `m-` followed by 32 hex characters. */
export const newModelId = (): string => `m-${newRunId()}`;

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
