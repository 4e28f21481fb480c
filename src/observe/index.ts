export { createLogger, type Logger, REDACTED_KEYS } from './logger.ts';
export { Metrics } from './metrics.ts';
