/**
 * The master-data ownership registry (DESIGN principle 5): for each kind of master data exactly one
 * system is the system of record, and which system sent a change is decided from where it came from.
 * Pure: the rows come from the store, the decisions are made here.
 *
 * Invariants:
 * - Both tables are effective-dated histories, never edited: the owner of a kind at instant t is the row
 *   of that kind with the latest `effectiveFrom` ≤ t (ties: the later-set row). A decision about a
 *   message is made at its arrival time, so replaying it later decides the same way (principle 2).
 * - Every kind has an owner at every instant: the migration seeds the defaults from the epoch.
 * - A source that no rule names is the default system (rule `*`), EHR unless configured otherwise: the
 *   inbound interfaces are the EHR's by default, and FHIR writes come from the EHR side.
 */

export const MASTER_KINDS = [
  'item',
  'vendor',
  'cost_center',
  'account',
  'employee',
  'practitioner',
  'patient',
  'encounter',
  'location',
  'charge_master',
] as const;
export type MasterKind = (typeof MASTER_KINDS)[number];

/**
 * Defaults: the ERP owns the back office's masters, the EHR the clinical ones. The charge master is the
 * EHR's (its billing module maintains the CDM; Crosswalk links it to items and publishes it back).
 */
export const DEFAULT_OWNERS: Readonly<Record<MasterKind, string>> = {
  item: 'ERP',
  vendor: 'ERP',
  cost_center: 'ERP',
  account: 'ERP',
  employee: 'ERP',
  practitioner: 'EHR',
  patient: 'EHR',
  encounter: 'EHR',
  location: 'EHR',
  charge_master: 'EHR',
};

export const DEFAULT_SOURCE_SYSTEM = 'EHR';

/** The instant defaults take effect from (seeded by the migration). */
export const OWNERSHIP_EPOCH = '1970-01-01T00:00:00.000Z';

export function isMasterKind(s: string): s is MasterKind {
  return (MASTER_KINDS as readonly string[]).includes(s);
}

/** A system name: EHR, ERP, HR, LIS… upper case, short. */
export function isSystemName(s: string): boolean {
  return /^[A-Z][A-Z0-9_-]{0,31}$/.test(s);
}

/**
 * Where a message came from, as a rule names it: `sender:<MSH-3>|<MSH-4>` (the inbox's sender), an
 * `application:<MSH-3>`, an `interface:<name>` (MLLP interface, or `fhir`), or `*` for all others.
 */
export function isSourcePattern(s: string): boolean {
  return s === '*' || /^(sender|application|interface):[^\s]{1,200}$/.test(s);
}

export interface OwnerRow {
  readonly kind: MasterKind;
  readonly system: string;
  readonly effectiveFrom: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly id: number;
}

export interface SourceRow {
  readonly source: string;
  readonly system: string;
  readonly effectiveFrom: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly id: number;
}

export interface OwnershipRegistry {
  readonly owners: readonly OwnerRow[];
  readonly sources: readonly SourceRow[];
}

function latest<T extends { effectiveFrom: string; id: number }>(rows: readonly T[], at: string): T | null {
  let best: T | null = null;
  for (const r of rows) {
    if (r.effectiveFrom > at) continue;
    if (
      best === null ||
      r.effectiveFrom > best.effectiveFrom ||
      (r.effectiveFrom === best.effectiveFrom && r.id > best.id)
    )
      best = r;
  }
  return best;
}

/** The system of record of `kind` at instant `at`. */
export function ownerOf(reg: OwnershipRegistry, kind: MasterKind, at: string): string {
  return (
    latest(
      reg.owners.filter((r) => r.kind === kind),
      at,
    )?.system ?? DEFAULT_OWNERS[kind]
  );
}

/** Where a stored message came from. `sender` is the inbox's `MSH-3|MSH-4` (or `fhir`). */
export interface MessageSource {
  readonly sender: string;
  readonly interfaceName?: string | undefined;
}

/**
 * The system a message came from at `at`: the most specific rule that names it wins — its exact sender,
 * then its sending application (MSH-3), then its interface — else the default rule `*`.
 */
export function systemOf(reg: OwnershipRegistry, m: MessageSource, at: string): string {
  const application = m.sender.split('|')[0] ?? m.sender;
  const candidates = [
    `sender:${m.sender}`,
    `application:${application}`,
    ...(m.interfaceName ? [`interface:${m.interfaceName}`] : []),
    '*',
  ];
  for (const c of candidates) {
    const hit = latest(
      reg.sources.filter((r) => r.source === c),
      at,
    );
    if (hit) return hit.system;
  }
  return DEFAULT_SOURCE_SYSTEM;
}

/** The registry as it stands at `at`: one owner per kind and every source rule in force. */
export function ownershipAt(
  reg: OwnershipRegistry,
  at: string,
): { owners: { kind: MasterKind; system: string; since: string; setBy: string }[]; sources: SourceRow[] } {
  const owners = MASTER_KINDS.map((kind) => {
    const row = latest(
      reg.owners.filter((r) => r.kind === kind),
      at,
    );
    return {
      kind,
      system: row?.system ?? DEFAULT_OWNERS[kind],
      since: row?.effectiveFrom ?? OWNERSHIP_EPOCH,
      setBy: row?.setBy ?? '(default)',
    };
  });
  const bySource = new Map<string, SourceRow>();
  for (const s of new Set(reg.sources.map((r) => r.source))) {
    const row = latest(
      reg.sources.filter((r) => r.source === s),
      at,
    );
    if (row) bySource.set(s, row);
  }
  return { owners, sources: [...bySource.values()].sort((a, b) => a.source.localeCompare(b.source)) };
}

/** True when two registries decide alike (same rows): the apply stage re-plans when they differ. */
export function sameRegistry(a: OwnershipRegistry, b: OwnershipRegistry): boolean {
  const ids = (r: OwnershipRegistry) =>
    `${r.owners.map((o) => o.id).join(',')}|${r.sources.map((s) => s.id).join(',')}`;
  return ids(a) === ids(b);
}

/** The registry with only the defaults (tests and contexts built without a database). */
export function defaultRegistry(extraSources: readonly { source: string; system: string }[] = []) {
  const base = { effectiveFrom: OWNERSHIP_EPOCH, setBy: 'default', setAt: OWNERSHIP_EPOCH };
  return {
    owners: MASTER_KINDS.map((kind, i) => ({ ...base, kind, system: DEFAULT_OWNERS[kind], id: i + 1 })),
    sources: [
      { ...base, source: '*', system: DEFAULT_SOURCE_SYSTEM, id: 1 },
      ...extraSources.map((s, i) => ({ ...base, ...s, id: i + 2 })),
    ],
  } satisfies OwnershipRegistry;
}
