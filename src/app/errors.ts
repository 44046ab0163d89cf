// Typed application errors (style §6). A code names the broken rule; one table in
// src/http/problem.ts maps the kind to an HTTP status and RFC 9457 problem+json.

export type ErrorKind = 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'invalid' | 'too_many';

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id: string) => new AppError('not_found', `${what}_not_found`, `No ${what.replace(/_/g, ' ')} with id "${id}".`);
export const conflict = (code: string, message: string) => new AppError('conflict', code, message);
export const invalid = (code: string, message: string, errors: FieldError[] = []) => new AppError('invalid', code, message, errors);
export const badRequest = (code: string, message: string) => new AppError('bad_request', code, message);
