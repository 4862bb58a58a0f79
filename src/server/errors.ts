import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SlipwayError, httpStatusOf, type ErrorCode } from '../core/errors.js';
import { describeDuplicate, uniqueViolation } from '../db/unique.js';

/** MLflow clients parse `{error_code, message}` and branch on these codes. */
const MLFLOW_CODES: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: 'INVALID_PARAMETER_VALUE',
  NOT_FOUND: 'RESOURCE_DOES_NOT_EXIST',
  ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  INVALID_STATE: 'INVALID_STATE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  PAYLOAD_TOO_LARGE: 'INVALID_PARAMETER_VALUE',
  UNSUPPORTED_MEDIA_TYPE: 'INVALID_PARAMETER_VALUE',
  UNAVAILABLE: 'TEMPORARILY_UNAVAILABLE',
  INTERNAL: 'INTERNAL_ERROR',
};

/** MLflow answers RESOURCE_ALREADY_EXISTS with 400, not 409; its clients accept both, but match it exactly. */
const MLFLOW_STATUS: Partial<Record<ErrorCode, number>> = { ALREADY_EXISTS: 400, INVALID_STATE: 400 };

export const isMlflowPath = (url: string): boolean =>
  url.startsWith('/api/2.0/') || url.startsWith('/ajax-api/2.0/') || url.startsWith('/get-artifact');

/** Turns any thrown error into a SlipwayError; anything unexpected becomes INTERNAL without leaking details. */
export function toSlipwayError(err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const e = err as FastifyError & { validationContext?: string };
  if (e && Array.isArray(e.validation)) {
    const first = e.validation[0];
    const where = `${e.validationContext ?? 'request'}${first?.instancePath ?? ''}`.replaceAll('/', '.');
    return new SlipwayError('INVALID_ARGUMENT', `Invalid ${where}: ${first?.message ?? e.message}.`, {
      issues: e.validation.map((v) => ({ path: v.instancePath, message: v.message })),
    });
  }
  // Create paths name the clash themselves (onDuplicate); this covers any that do not, on both dialects.
  const duplicate = uniqueViolation(err);
  if (duplicate) return new SlipwayError('ALREADY_EXISTS', describeDuplicate(duplicate));
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new SlipwayError('PAYLOAD_TOO_LARGE', `${e.message}. Split the request into smaller ones.`);
  if (status === 415) return new SlipwayError('UNSUPPORTED_MEDIA_TYPE', `${e.message}. Send JSON with Content-Type: application/json.`);
  if (status === 404) return new SlipwayError('NOT_FOUND', e.message);
  if (status >= 400 && status < 500) {
    const msg = e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e instanceof SyntaxError ? `Malformed JSON in request body: ${e.message}` : e.message;
    return new SlipwayError('INVALID_ARGUMENT', msg);
  }
  return new SlipwayError('INTERNAL', 'Internal server error. The server log has the details.');
}

/** The one place where errors become HTTP responses, in the MLflow shape on MLflow paths. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const error = toSlipwayError(err);
  if (error.code === 'INTERNAL') request.log.error({ err }, 'request failed');
  if (isMlflowPath(request.url)) {
    return reply.status(MLFLOW_STATUS[error.code] ?? httpStatusOf[error.code]).send({ error_code: MLFLOW_CODES[error.code], message: error.message });
  }
  return reply.status(error.status).send({ error: { code: error.code, message: error.message, details: error.details ?? {} } });
}

export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isMlflowPath(request.url)) {
    return reply.status(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `No endpoint ${request.method} ${request.url.split('?')[0]}` });
  }
  return reply.status(404).send({
    error: { code: 'NOT_FOUND', message: `No endpoint ${request.method} ${request.url.split('?')[0]}. See /api/v1/openapi.json.`, details: {} },
  });
}
