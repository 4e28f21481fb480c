import { CrosswalkError, type ErrorCode, isCrosswalkError } from '../errors/index.ts';
import type { JsonObject } from './json.ts';

/**
 * Every /fhir error is an OperationOutcome: the issue's `code` is the FHIR issue type a client acts on,
 * `details.coding` carries Crosswalk's stable error code (the one the exception queue and runbooks use),
 * and `diagnostics` its message, which the registry keeps free of patient identifiers.
 */

export const ERROR_CODE_SYSTEM = 'https://crosswalk.invalid/fhir/CodeSystem/error-code';

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

/** FHIR issue-type for an error, from its code where that says more than the HTTP status. */
function issueType(code: ErrorCode, status: number): string {
  switch (code) {
    case 'CW_ERR_FHIR_UNSUPPORTED_TYPE':
      return 'not-supported';
    case 'CW_ERR_FHIR_INVALID_RESOURCE':
    case 'CW_ERR_FHIR_BAD_JSON':
    case 'CW_ERR_FHIR_BAD_BUNDLE':
      return 'structure';
    case 'CW_ERR_FHIR_TOO_DEEP':
    case 'CW_ERR_FHIR_TOO_LARGE':
      return 'too-costly';
    case 'CW_ERR_FHIR_IDENTITY_CONFLICT':
      return 'duplicate';
    case 'CW_ERR_FHIR_CONDITIONAL_MULTIPLE':
      return 'multiple-matches';
    default:
      break;
  }
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 405 || status === 415) return 'not-supported';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 422) return 'business-rule';
  if (status === 503) return 'transient';
  if (status >= 500) return 'exception';
  return 'invalid';
}

export function issueOf(e: CrosswalkError, severity: IssueSeverity = 'error'): JsonObject {
  return {
    severity,
    code: issueType(e.code, e.httpStatus),
    details: { coding: [{ system: ERROR_CODE_SYSTEM, code: e.code }], text: e.message },
    diagnostics: e.message,
  };
}

export function operationOutcome(e: CrosswalkError, severity: IssueSeverity = 'error'): JsonObject {
  return { resourceType: 'OperationOutcome', issue: [issueOf(e, severity)] };
}

/** An informational outcome (e.g. on a successful write that changed nothing). */
export function informationOutcome(text: string): JsonObject {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'information', code: 'informational', diagnostics: text }],
  };
}

/** Any thrown value as a CrosswalkError (unexpected ones become CW_ERR_SERVER_INTERNAL with an incident id). */
export function asCrosswalkError(e: unknown, incident: string): CrosswalkError {
  return isCrosswalkError(e) ? e : new CrosswalkError('CW_ERR_SERVER_INTERNAL', { incident });
}

export const statusLine = (status: number): string => `${status} ${STATUS_TEXT[status] ?? ''}`.trim();

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
