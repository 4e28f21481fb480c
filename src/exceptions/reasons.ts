import { ERRORS, type ErrorCode, type OwningTeam, TEAM_SLA_HOURS } from '../errors/index.ts';

/**
 * The work-queue's view of the one error registry: what a reason code means to the person who owns the
 * exception. There is no second registry: team, template, retryability and SLA all come from
 * `errors/registry.ts`, so a code means the same in an API answer, a log line and the queue.
 */
export interface Reason {
  readonly code: string;
  /** False for a code this build does not know (an exception stored by a newer or older build). */
  readonly known: boolean;
  readonly team: OwningTeam;
  readonly messageTemplate: string;
  readonly retryable: boolean;
  readonly slaHours: number;
}

export function reasonOf(code: string): Reason {
  const d = (ERRORS as Record<string, (typeof ERRORS)[ErrorCode] | undefined>)[code];
  if (d === undefined) {
    // An unknown code still belongs to someone: integration looks at what it cannot classify.
    return {
      code,
      known: false,
      team: 'integration',
      messageTemplate: code,
      retryable: false,
      slaHours: TEAM_SLA_HOURS.integration,
    };
  }
  return {
    code,
    known: true,
    team: d.team,
    messageTemplate: d.message,
    retryable: d.retryable,
    slaHours: d.slaHours,
  };
}

/** Every code of the registry as the work-queue shows it, sorted by team then code. */
export function reasons(): Reason[] {
  return Object.keys(ERRORS)
    .map(reasonOf)
    .sort((a, b) => (a.team === b.team ? (a.code < b.code ? -1 : 1) : a.team < b.team ? -1 : 1));
}

export const TEAMS: readonly OwningTeam[] = Object.keys(TEAM_SLA_HOURS) as OwningTeam[];

export function isTeam(s: string): s is OwningTeam {
  return (TEAMS as readonly string[]).includes(s);
}
