import { ERRORS, type ErrorCode, type ErrorDefinition } from './registry.ts';

export type ErrorParams = Readonly<Record<string, string | number | bigint | boolean | undefined>>;

/** Fills a registry template; a placeholder with no value stays visible rather than vanishing. */
export function formatMessage(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

/**
 * The one error type that crosses module boundaries. Its message is built from the registry template,
 * so it is safe to show a user and to log: callers must not put patient identifiers in params.
 */
export class CrosswalkError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  readonly definition: ErrorDefinition;

  constructor(code: ErrorCode, params: ErrorParams = {}, options?: { cause?: unknown }) {
    const definition = ERRORS[code];
    super(formatMessage(definition.message, params), options);
    this.name = 'CrosswalkError';
    this.code = code;
    this.params = params;
    this.definition = definition;
  }

  get httpStatus(): number {
    return this.definition.httpStatus;
  }

  get retryable(): boolean {
    return this.definition.retryable;
  }

  toJSON(): { code: ErrorCode; message: string; team: string; retryable: boolean } {
    return { code: this.code, message: this.message, team: this.definition.team, retryable: this.retryable };
  }
}

export function isCrosswalkError(e: unknown): e is CrosswalkError {
  return e instanceof CrosswalkError;
}

/** What a thread reports of an error it cannot pass whole: the registry code, a system code (ENOENT…), or null. */
export function errorCodeOf(e: unknown): string | null {
  return isCrosswalkError(e) ? e.code : ((e as { code?: unknown } | null)?.code?.toString() ?? null);
}
