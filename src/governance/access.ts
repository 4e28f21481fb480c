/**
 * Who may do what: the roles, the actions every route and CLI command declares, and the one
 * authorisation matrix (role × action × scope) that both the enforcement and its test read.
 *
 * Invariants:
 * - An action not in the matrix does not exist: `authorize` refuses it, whoever asks.
 * - A grant is (role, scope). Scope `*` covers everything; `entity:X` and `facility:Y` cover only
 *   targets naming that entity or facility. An action the matrix marks `scoped` needs its target to be
 *   inside a grant's scope; an unscoped action ignores scope (reading the exception queue has no entity).
 * - Security administration and business work never meet in one person: security_admin holds no
 *   business role (segregation-of-duties rules in sod.ts check it when granting and when acting).
 * - A token narrows, never widens: a principal authenticated by a token with a scope list may do only
 *   what both its user's grants and the token's list allow.
 */

export const ROLES = [
  'integration_engineer',
  'supply_chain',
  'revenue_integrity',
  'finance',
  'controller',
  'data_steward',
  'auditor',
  'security_admin',
  'service',
] as const;
export type Role = (typeof ROLES)[number];

/** Roles that do the hospital's work; security_admin may hold none of them. */
export const BUSINESS_ROLES: readonly Role[] = [
  'integration_engineer',
  'supply_chain',
  'revenue_integrity',
  'finance',
  'controller',
  'data_steward',
];

/** Roles whose holders may see patient identifiers (raw messages, token resolution). */
export const CLINICAL_ROLES: readonly Role[] = ['integration_engineer', 'revenue_integrity'];

export type Scope = '*' | `entity:${string}` | `facility:${string}`;

export interface Grant {
  readonly role: Role;
  readonly scope: Scope;
}

/** What an action is about, where the matrix says its scope matters. */
export interface Target {
  readonly entity?: string;
  readonly facility?: string;
}

export interface ActionRule {
  readonly description: string;
  /** Roles allowed. */
  readonly roles: readonly Role[];
  /** Whether a grant's entity/facility scope limits it. */
  readonly scoped: boolean;
  /** Reads patient identifiers: every use is audited as a PHI read. */
  readonly phi?: boolean;
}

const READERS: readonly Role[] = [...BUSINESS_ROLES, 'auditor'];
const rule = (description: string, roles: readonly Role[], scoped = false, phi = false): ActionRule =>
  phi ? { description, roles, scoped, phi } : { description, roles, scoped };

/**
 * The matrix. Keys are stable action names (`area.verb`); routes and CLI commands name one each.
 * Changing a cell is a governance change: the matrix test lists every cell, so a review sees it.
 */
export const MATRIX = {
  'system.read': rule('see interfaces, health and configuration summary', [...READERS, 'security_admin']),
  'messages.read': rule('list inbox messages and their metadata (no bodies)', READERS),
  'messages.read_phi': rule('read a raw message or its parsed tree', CLINICAL_ROLES, false, true),
  'exceptions.read': rule('list and show exceptions', READERS),
  'exceptions.work': rule('assign, comment on, resolve or ignore an exception', BUSINESS_ROLES),
  'exceptions.replay': rule('replay a failed message', ['integration_engineer', 'revenue_integrity']),
  'exceptions.edit': rule('propose a corrected message (a revision)', CLINICAL_ROLES, false, true),
  'exceptions.approve_edit': rule('approve or reject a revision of financial fields', [
    'revenue_integrity',
    'finance',
    'controller',
  ]),
  'release.read': rule('list, show and export mapping releases', READERS),
  'release.propose': rule('propose a mapping release', ['integration_engineer', 'data_steward']),
  'release.approve': rule('approve a mapping release', [
    'integration_engineer',
    'data_steward',
    'controller',
  ]),
  'release.activate': rule('activate or roll back a mapping release', ['integration_engineer']),
  'replay.run': rule('dry-run a replay under a release', [
    'integration_engineer',
    'revenue_integrity',
    'finance',
    'controller',
  ]),
  'replay.apply': rule('post a replay difference', ['integration_engineer', 'controller']),
  'ledger.read': rule(
    'trial balance, journal and periods',
    ['finance', 'controller', 'revenue_integrity', 'supply_chain', 'auditor'],
    true,
  ),
  'ledger.close': rule('close a fiscal period', ['controller'], true),
  'journal.prepare': rule('prepare a manual journal entry', ['finance', 'controller'], true),
  'journal.approve': rule('approve and post a manual journal entry', ['controller'], true),
  'inventory.read': rule('on-hand and movements', ['supply_chain', 'finance', 'controller', 'auditor'], true),
  'inventory.adjust.prepare': rule('prepare an inventory adjustment', ['supply_chain'], true),
  'inventory.adjust.approve': rule('approve an inventory adjustment', ['supply_chain', 'controller'], true),
  'outbox.read': rule('see destinations, queues and deliveries', READERS),
  'outbox.operate': rule('pause, resume, retry or confirm deliveries', ['integration_engineer']),
  'publish.master': rule('publish the item or charge master', ['integration_engineer', 'data_steward']),
  'export.journal': rule('export journal batches for the ERP', ['finance', 'controller']),
  'import.fhir': rule('import FHIR bulk data', ['integration_engineer', 'service']),
  'fhir.read': rule('read and search the FHIR endpoint', ['integration_engineer', 'service'], false, true),
  'fhir.write': rule(
    'create and update through the FHIR endpoint',
    ['integration_engineer', 'service'],
    false,
    true,
  ),
  'smart.token': rule('obtain a SMART backend-services access token for /fhir (system clients)', [
    'integration_engineer',
    'service',
  ]),
  'verify.run': rule('run the invariant checker', ['integration_engineer', 'controller', 'auditor']),
  'verify.seal': rule('seal what the checker saw', ['controller', 'auditor']),
  'ownership.read': rule('see the master-data ownership registry', READERS),
  'ownership.manage': rule('change which system owns a kind of master data', ['data_steward']),
  'audit.read': rule('read the audit log', ['auditor', 'security_admin', 'controller']),
  'audit.checkpoint': rule('write and verify signed audit checkpoints', ['auditor', 'security_admin']),
  'users.manage': rule('create, disable and list users; issue tokens for others; register system clients', [
    'security_admin',
  ]),
  'roles.grant': rule('grant and revoke roles', ['security_admin']),
  'sod.report': rule('list segregation-of-duties conflicts', ['security_admin', 'auditor', 'controller']),
  'breakglass.open': rule('take a role for a limited time in an emergency, with a reason, reviewed after', [
    ...BUSINESS_ROLES,
    'security_admin',
  ]),
  'breakglass.review': rule('list and review break-glass access', ['security_admin', 'auditor']),
} as const satisfies Record<string, ActionRule>;

export type Action = keyof typeof MATRIX;
export const ACTIONS = Object.keys(MATRIX) as Action[];

export function isAction(s: string): s is Action {
  return Object.hasOwn(MATRIX, s);
}

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export function isScope(s: string): s is Scope {
  return s === '*' || /^(entity|facility):[A-Za-z0-9_.-]{1,64}$/.test(s);
}

/** Who is acting, once authenticated. `subject` is the user name or the system client id. */
export interface Principal {
  readonly kind: 'user' | 'client';
  readonly subject: string;
  /** How it authenticated: session, API token, SMART access token, CLI token. */
  readonly via: 'session' | 'token' | 'smart' | 'cli';
  /** The credential's id (token id, session id, client id): never the secret itself. */
  readonly credentialId: string;
  readonly grants: readonly Grant[];
  /** A token's own limit (null: the user's full grants). */
  readonly allowedActions: ReadonlySet<Action> | null;
}

export type Decision =
  | { readonly allowed: true; readonly grant: Grant }
  | { readonly allowed: false; readonly reason: string };

function inScope(scope: Scope, target: Target | undefined): boolean {
  if (scope === '*') return true;
  if (!target) return true; // a listing: the route narrows what it shows to the grant's scope
  const [kind, value] = scope.split(':') as ['entity' | 'facility', string];
  return kind === 'entity' ? target.entity === value : target.facility === value;
}

/** The matrix applied: may this principal take this action on this target? */
export function authorize(principal: Principal, action: string, target?: Target): Decision {
  if (!isAction(action)) return { allowed: false, reason: `${action} is not an action Crosswalk knows` };
  if (principal.allowedActions && !principal.allowedActions.has(action)) {
    return { allowed: false, reason: `the credential is not scoped for ${action}` };
  }
  const r: ActionRule = MATRIX[action];
  const byRole = principal.grants.filter((g) => r.roles.includes(g.role));
  if (byRole.length === 0) {
    return { allowed: false, reason: `${action} needs one of the roles ${r.roles.join(', ')}` };
  }
  const fit = r.scoped ? byRole.find((g) => inScope(g.scope, target)) : byRole[0];
  if (!fit) {
    const where = target?.entity ? `entity ${target.entity}` : `facility ${target?.facility}`;
    return { allowed: false, reason: `${action} on ${where} is outside the scope of the grants held` };
  }
  return { allowed: true, grant: fit };
}

/** The entities a principal may see for a scoped action (null: all of them). */
export function entitiesInScope(principal: Principal, action: Action): ReadonlySet<string> | null {
  const r: ActionRule = MATRIX[action];
  const grants = principal.grants.filter((g) => r.roles.includes(g.role));
  if (grants.some((g) => g.scope === '*')) return null;
  return new Set(grants.filter((g) => g.scope.startsWith('entity:')).map((g) => g.scope.slice(7)));
}
