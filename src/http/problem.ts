// One mapping from errors to RFC 9457 problem+json (style §6). Validation failures carry
// `errors: [{field, message}]`; unknown errors become a plain 500 whose cause is logged, not sent.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorKind, type FieldError } from '../app/errors.js';
import { DomainError } from '../domain/errors.js';

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid: 422,
  too_many: 429,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  instance?: string;
}

export function problem(status: number, code: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `https://affable.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Domain error codes that are conflicts of state rather than invalid input. */
const DOMAIN_CONFLICTS = new Set<string>(['reassignment_window_closed', 'reassignment_same_affiliate', 'affiliate_not_approved', 'payout_month_not_started']);

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof AppError) return problem(STATUS[error.kind], error.code, error.message, error.errors);
  if (error instanceof DomainError) {
    const status = DOMAIN_CONFLICTS.has(error.code) ? 409 : 422;
    const fieldErrors: FieldError[] = error.details.problems ?? (error.field ? [{ field: error.field, message: error.message }] : []);
    return problem(status, error.code, error.message, fieldErrors);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = (error as { validation: Array<{ instancePath?: string; params?: Record<string, unknown>; message?: string }> }).validation.map((v) => ({
      field: fieldName(v.instancePath, v.params),
      message: v.message ?? 'is invalid',
    }));
    const where = (error as { validationContext?: string }).validationContext ?? 'body';
    return problem(422, 'validation_failed', `The request ${where} is invalid.`, errors);
  }
  const fe = error as FastifyError;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(fe.message) ? 'malformed_json' : (fe.code ?? 'bad_request').toLowerCase();
    return problem(fe.statusCode, code, fe.message);
  }
  request.log.error({ err: error }, 'unhandled error');
  return problem(500, 'internal_error', 'Something went wrong on our side; it has been logged.');
}

function fieldName(instancePath: string | undefined, params: Record<string, unknown> | undefined): string {
  const path = (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const missing = params && typeof params['missingProperty'] === 'string' ? String(params['missingProperty']) : '';
  return [path, missing].filter(Boolean).join('.') || '(body)';
}
