/**
 * One error type for every domain. Domains throw `SlipwayError` with a code; the server maps the code to an
 * HTTP status (and to MLflow's error codes on the MLflow paths) in exactly one place.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const httpStatusOf: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_STATE: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A model server or other dependency is down or refused (circuit open): retry later. */
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'SlipwayError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return httpStatusOf[this.code];
  }
}

export const invalid = (message: string, details?: Record<string, unknown>) =>
  new SlipwayError('INVALID_ARGUMENT', message, details);
export const notFound = (message: string, details?: Record<string, unknown>) =>
  new SlipwayError('NOT_FOUND', message, details);
export const alreadyExists = (message: string, details?: Record<string, unknown>) =>
  new SlipwayError('ALREADY_EXISTS', message, details);
export const invalidState = (message: string, details?: Record<string, unknown>) =>
  new SlipwayError('INVALID_STATE', message, details);
