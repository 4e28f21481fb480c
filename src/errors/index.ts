export {
  CrosswalkError,
  type ErrorParams,
  errorCodeOf,
  formatMessage,
  isCrosswalkError,
} from './crosswalk-error.ts';
export { ERRORS, type ErrorCode, type ErrorDefinition, type OwningTeam, TEAM_SLA_HOURS } from './registry.ts';
