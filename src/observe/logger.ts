import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Structured JSON logs. Secrets and anything that could carry a patient identifier are redacted by key
 * wherever they appear, as a second line of defence: the first is that no code logs message bodies,
 * request bodies or error params derived from them.
 */
export const REDACTED_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwordHash',
  'token',
  'secret',
  'apiKey',
  'databaseUrl',
  'connectionString',
  'body',
  'payload',
  'raw',
  'patient',
  'patientId',
  'mrn',
  'name',
  'birthDate',
  'dob',
  'ssn',
  'address',
  'phone',
] as const;

const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]);

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'crosswalk' },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };
