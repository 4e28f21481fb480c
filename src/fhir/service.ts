import { createHash } from 'node:crypto';
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import {
  ENVELOPE_FORMAT,
  encodeEnvelope,
  type FhirInboundDocument,
  type InboundContext,
  isEnvelope,
  logicalSnapshot,
  snapshotOf,
} from './envelope.ts';
import {
  arr,
  canonicalJson,
  contentHash,
  type FhirResource,
  isObject,
  type Json,
  type JsonObject,
  obj,
  sha256Hex,
  str,
} from './json.ts';
import { type IssueSeverity, issueOf, statusLine } from './outcome.ts';
import type { FhirStorePort, FhirTx, FhirWrite, SearchPage, StoredResource } from './port.ts';
import { SPEC_BY_TYPE } from './resources.ts';
import {
  dateRange,
  type IndexRow,
  indexRowsOf,
  matches,
  parseCriteria,
  parseSearch,
  referenceKey,
  type SearchPlan,
} from './search.ts';
import { ID_PATTERN, unsupportedType, validateResource, valuesAt } from './validate.ts';

/**
 * The FHIR write and read paths, over the storage port. A request's writes (one resource or a whole
 * Bundle) are worked out in memory inside one database transaction and saved together at its end: the
 * resource versions, their search rows and, for resources with back-office effects, their inbox rows.
 * The client is answered after the commit (raw first).
 *
 * Idempotency of create: If-None-Exist, then each business identifier, then the id (a Bundle entry's
 * `urn:uuid` fullUrl, else a hash of the content) find the resource if it exists. Found with the same
 * content: 200 and no new effect. Found by identifier or id with different content: 409 — the same key
 * with different content is a work item, never a silent overwrite; changes come as updates (PUT).
 */

export interface FhirServiceOptions {
  readonly store: FhirStorePort;
  readonly clock?: () => Date;
  /** Inbox sender, interface and ordering key of FHIR writes (default `fhir`). */
  readonly source?: string;
}

export interface WriteOutcome {
  readonly status: 200 | 201;
  readonly stored: StoredResource;
  /** False for a resend or an If-None-Exist match: nothing new was stored. */
  readonly changed: boolean;
}

/** An error of one Bundle entry: the entry's index travels with the error to the OperationOutcome. */
export class EntryError extends Error {
  constructor(
    readonly index: number,
    readonly error: CrosswalkError,
  ) {
    super(error.message);
  }
}

const key = (type: string, id: string) => `${type}/${id}`;

/** Where each type's references are followed for the inbox context, and the type a logical one targets. */
const FOLLOW: Readonly<Record<string, readonly (readonly [path: string, target: string])[]>> = {
  SupplyDelivery: [
    ['patient', 'Patient'],
    ['destination', 'Location'],
    ['supplier', 'Organization'],
  ],
  Procedure: [
    ['subject', 'Patient'],
    ['encounter', 'Encounter'],
    ['location', 'Location'],
    ['usedReference', 'Device'],
  ],
  ChargeItem: [
    ['subject', 'Patient'],
    ['context', 'Encounter'],
    ['performingOrganization', 'Organization'],
    ['requestingOrganization', 'Organization'],
    ['costCenter', 'Organization'],
  ],
  Encounter: [
    ['subject', 'Patient'],
    ['location.location', 'Location'],
    ['serviceProvider', 'Organization'],
    ['participant.individual', 'Practitioner'],
  ],
  PractitionerRole: [
    ['practitioner', 'Practitioner'],
    ['organization', 'Organization'],
  ],
  Location: [
    ['managingOrganization', 'Organization'],
    ['partOf', 'Location'],
  ],
  Device: [
    ['patient', 'Patient'],
    ['location', 'Location'],
    ['owner', 'Organization'],
  ],
};

/** Second hops from a snapshot: an encounter's location and provider, a location's organization. */
const FOLLOW_FROM: Readonly<Record<string, readonly (readonly [path: string, target: string])[]>> = {
  Encounter: [
    ['location.location', 'Location'],
    ['serviceProvider', 'Organization'],
  ],
  Location: [['managingOrganization', 'Organization']],
};

/** The instant a resource's usage happened, for finding its encounter. */
function occurrenceOf(r: JsonObject): string | null {
  const t =
    str(r['occurrenceDateTime']) ??
    str(obj(r['occurrencePeriod'])?.['start']) ??
    str(r['performedDateTime']) ??
    str(obj(r['performedPeriod'])?.['start']);
  return t === null ? null : (dateRange(t)?.[0] ?? null);
}

function idFromFullUrl(fullUrl: string | null): string | null {
  if (fullUrl === null) return null;
  const m = /^urn:uuid:([0-9a-fA-F-]{36})$/.exec(fullUrl);
  if (m) return m[1]!.toLowerCase();
  return null;
}

/** A create without a client-chosen identity is named by its content, so a resend finds itself. */
function contentId(type: string, r: JsonObject): string {
  const { id: _id, meta: _meta, ...rest } = r;
  return createHash('sha256')
    .update(type)
    .update('\u0000')
    .update(canonicalJson(rest))
    .digest('hex')
    .slice(0, 40);
}

interface Pending {
  readonly stored: StoredResource;
  readonly rows: readonly IndexRow[];
  readonly created: boolean;
  readonly previous: StoredResource | null;
}

interface Identity {
  readonly id: string;
  readonly existing: StoredResource | null;
  readonly via: 'if-none-exist' | 'identifier' | 'id' | 'new' | 'update';
}

/** The working set of one request: what it read and what it will write, visible to its later steps. */
class Session {
  private readonly pending = new Map<string, Pending>();
  private readonly order: Pending[] = [];
  private readonly known = new Map<string, StoredResource | null>();
  private readonly resolved = new Map<string, JsonObject | null>();
  private readonly encountersOf = new Map<string, StoredResource[]>();

  constructor(
    private readonly tx: FhirTx,
    private readonly now: string,
    private readonly source: string,
  ) {}

  async get(k: string): Promise<StoredResource | null> {
    const p = this.pending.get(k);
    if (p) return p.stored;
    if (this.known.has(k)) return this.known.get(k)!;
    const found = (await this.tx.current([k])).get(k) ?? null;
    this.known.set(k, found);
    return found;
  }

  async prefetch(keys: readonly string[]): Promise<void> {
    const wanted = [...new Set(keys)].filter((k) => !this.known.has(k) && !this.pending.has(k));
    if (wanted.length === 0) return;
    const found = await this.tx.current(wanted);
    for (const k of wanted) this.known.set(k, found.get(k) ?? null);
  }

  /** Stored and pending resources matching a plan (pending versions win). */
  async find(plan: SearchPlan, limit: number): Promise<StoredResource[]> {
    const out = new Map<string, StoredResource>();
    for (const p of this.pending.values()) {
      if (p.stored.resourceType !== plan.resourceType) continue;
      if (matches(plan, { id: p.stored.id, lastUpdated: p.stored.lastUpdated, rows: p.rows })) {
        out.set(key(p.stored.resourceType, p.stored.id), p.stored);
      }
    }
    const page = await this.tx.search({ ...plan, count: limit, offset: 0 }, { withTotal: false });
    for (const r of page.resources) {
      const k = key(r.resourceType, r.id);
      if (!this.pending.has(k) && !out.has(k)) out.set(k, r);
    }
    return [...out.values()];
  }

  /** Who a create is: an existing resource (by If-None-Exist, identifier or id) or a new id. */
  async identify(r: FhirResource, fullUrl: string | null, ifNoneExist: string | null): Promise<Identity> {
    const type = r.resourceType;
    if (ifNoneExist !== null) {
      const found = await this.find(parseCriteria(type, ifNoneExist), 2);
      if (found.length > 1) {
        throw new CrosswalkError('CW_ERR_FHIR_CONDITIONAL_MULTIPLE', {
          resourceType: type,
          position: 'If-None-Exist',
          count: found.length,
        });
      }
      if (found.length === 1) return { id: found[0]!.id, existing: found[0]!, via: 'if-none-exist' };
    }
    for (const ident of arr(r['identifier'])) {
      const o = obj(ident);
      const system = str(o?.['system']);
      const value = str(o?.['value']);
      if (system === null || value === null) continue;
      const plan: SearchPlan = {
        resourceType: type,
        clauses: [{ name: 'identifier', alternatives: [{ kind: 'token', system, value }] }],
        count: 2,
        offset: 0,
      };
      const found = await this.find(plan, 2);
      if (found.length > 1) {
        throw new CrosswalkError('CW_ERR_FHIR_CONDITIONAL_MULTIPLE', {
          resourceType: type,
          position: `identifier (system ${system})`,
          count: found.length,
        });
      }
      if (found.length === 1) return { id: found[0]!.id, existing: found[0]!, via: 'identifier' };
    }
    const id = idFromFullUrl(fullUrl) ?? contentId(type, r);
    const existing = await this.get(key(type, id));
    return { id, existing, via: existing ? 'id' : 'new' };
  }

  /** Writes a resource under an identity; unchanged content writes nothing. */
  write(r: FhirResource, identity: Identity): WriteOutcome {
    const type = r.resourceType;
    const k = key(type, identity.id);
    const existing = this.pending.get(k)?.stored ?? identity.existing;
    if (identity.via === 'if-none-exist' && existing)
      return { status: 200, stored: existing, changed: false };
    const { meta, id: _id, resourceType: _t, ...rest } = r;
    const clientMeta = obj(meta)
      ? Object.fromEntries(
          Object.entries(obj(meta)!).filter(([m]) => m !== 'versionId' && m !== 'lastUpdated'),
        )
      : {};
    const hash = contentHash({
      resourceType: type,
      ...rest,
      ...(Object.keys(clientMeta).length ? { meta: clientMeta } : {}),
    });
    if (existing && existing.contentHash === hash) return { status: 200, stored: existing, changed: false };
    if (existing && identity.via !== 'update') {
      throw new CrosswalkError('CW_ERR_FHIR_IDENTITY_CONFLICT', {
        resourceType: type,
        id: type === 'Patient' ? '(id withheld)' : identity.id,
        why: identity.via === 'identifier' ? 'found by its identifier' : 'same id',
      });
    }
    const versionId = (existing?.versionId ?? 0) + 1;
    const resource = {
      resourceType: type,
      id: identity.id,
      meta: { ...clientMeta, versionId: String(versionId), lastUpdated: this.now },
      ...rest,
    } as FhirResource;
    const stored: StoredResource = {
      resourceType: type,
      id: identity.id,
      versionId,
      lastUpdated: this.now,
      contentHash: hash,
      resource,
    };
    const p: Pending = {
      stored,
      rows: indexRowsOf(resource),
      created: existing === null,
      previous: existing,
    };
    this.pending.set(k, p);
    this.order.push(p);
    return { status: existing ? 200 : 201, stored, changed: true };
  }

  /** The target of a reference as a snapshot: a stored or pending resource, else what a logical reference says. */
  private async resolve(ref: JsonObject, target: string): Promise<JsonObject | null> {
    const literal = str(ref['reference']);
    if (literal !== null) {
      const k = referenceKey(literal);
      if (k === null) return null;
      if (this.resolved.has(k)) return this.resolved.get(k)!;
      const found = await this.get(k);
      const snap = found ? snapshotOf(found.resource) : null;
      this.resolved.set(k, snap);
      return snap;
    }
    const identifier = obj(ref['identifier']);
    if (identifier === null) return null;
    const type = str(ref['type']) ?? target;
    const system = str(identifier['system']);
    const value = str(identifier['value']);
    if (value === null || !SPEC_BY_TYPE.has(type)) return logicalSnapshot(type, ref);
    const memo = `${type}?${system ?? ''}|${value}`;
    if (this.resolved.has(memo)) return this.resolved.get(memo)!;
    const found = await this.find(
      {
        resourceType: type,
        clauses: [
          { name: 'identifier', alternatives: [{ kind: 'token', system: system ?? undefined, value }] },
        ],
        count: 2,
        offset: 0,
      },
      2,
    );
    const snap = found.length === 1 ? snapshotOf(found[0]!.resource) : logicalSnapshot(type, ref);
    this.resolved.set(memo, snap);
    return snap;
  }

  private async follow(
    from: JsonObject,
    rules: readonly (readonly [string, string])[],
    prefix: string,
    into: Record<string, JsonObject>,
  ): Promise<void> {
    for (const [path, target] of rules) {
      for (const { value, at } of valuesAt(from, path)) {
        if (!isObject(value)) continue;
        const snap = await this.resolve(value, target);
        if (snap === null) continue;
        const where = prefix === '' ? at : `${prefix}.${at}`;
        into[where] = snap;
        const next = FOLLOW_FROM[String(snap['resourceType'])];
        if (next && prefix === '') await this.follow(snap, next, where, into);
      }
    }
  }

  /** The patient's encounter in progress at `at` (latest start wins), from stored and pending encounters. */
  private async encounterAt(patientKey: string, at: string): Promise<StoredResource | null> {
    let list = this.encountersOf.get(patientKey);
    if (list === undefined) {
      list = await this.find(
        {
          resourceType: 'Encounter',
          clauses: [{ name: 'patient', alternatives: [{ kind: 'reference', value: patientKey }] }],
          count: 1000,
          offset: 0,
        },
        1000,
      );
      this.encountersOf.set(patientKey, list);
    }
    let best: StoredResource | null = null;
    let bestStart = '';
    for (const e of list) {
      const p = obj(e.resource['period']);
      const start = str(p?.['start']);
      if (start === null) continue;
      const lo = dateRange(start)?.[0];
      const endText = str(p?.['end']);
      const hi = endText === null ? '9999' : dateRange(endText)?.[1];
      if (lo === undefined || hi === undefined || at < lo || at > hi) continue;
      if (best === null || lo > bestStart || (lo === bestStart && e.id < best.id)) {
        best = e;
        bestStart = lo;
      }
    }
    return best;
  }

  private async contextOf(
    resource: FhirResource,
  ): Promise<{ context: InboundContext; inferredBy: string | null }> {
    const context: Record<string, JsonObject> = {};
    await this.follow(resource, FOLLOW[resource.resourceType] ?? [], '', context);
    let inferredBy: string | null = null;
    if (resource.resourceType === 'SupplyDelivery' && context['encounter'] === undefined) {
      const patient = referenceKey(str(obj(resource['patient'])?.['reference']) ?? '');
      const at = occurrenceOf(resource);
      if (patient !== null && at !== null) {
        const enc = await this.encounterAt(patient, at);
        if (enc) {
          inferredBy = "the patient's encounter whose period holds SupplyDelivery.occurrence[x]";
          const snap = snapshotOf(enc.resource);
          context['encounter'] = snap;
          await this.follow(snap, FOLLOW_FROM['Encounter']!, 'encounter', context);
        }
      }
    }
    return { context, inferredBy };
  }

  /** Builds the inbox rows of the writes with back-office effects and saves everything. */
  async finish(): Promise<void> {
    const writes: FhirWrite[] = [];
    const superseded = this.order
      .filter((p) => p.previous !== null && SPEC_BY_TYPE.get(p.stored.resourceType)?.inbound)
      .map((p) => controlIdOf(p.previous!));
    const previousRaw = superseded.length > 0 ? await this.tx.inboundRaw(this.source, superseded) : new Map();
    for (const p of this.order) {
      const spec = SPEC_BY_TYPE.get(p.stored.resourceType)!;
      const json = JSON.stringify(p.stored.resource);
      let inbound: FhirWrite['inbound'] = null;
      if (spec.inbound) {
        const { context, inferredBy } = await this.contextOf(p.stored.resource);
        let previous: FhirInboundDocument['previous'] = null;
        if (p.previous) {
          const raw = previousRaw.get(controlIdOf(p.previous));
          const before = raw === undefined ? null : parseEnvelope(raw);
          previous = before ? { resource: before.resource, context: before.context } : null;
        }
        const doc: FhirInboundDocument = {
          format: ENVELOPE_FORMAT,
          resource: p.stored.resource,
          context,
          encounterInferredBy: inferredBy,
          previous,
        };
        const raw = encodeEnvelope(doc, json);
        const status = p.created ? 201 : 200;
        inbound = {
          interfaceName: this.source,
          orderingKey: this.source,
          sender: this.source,
          controlId: controlIdOf(p.stored),
          messageType: `FHIR:${p.stored.resourceType}`,
          receivedAt: this.now,
          raw,
          contentSha256: sha256Hex(raw),
          ack: Buffer.from(JSON.stringify({ status: statusLine(status), location: locationOf(p.stored) })),
          ackCode: String(status),
        };
      }
      writes.push({ stored: p.stored, json, created: p.created, rows: p.rows, inbound });
    }
    if (writes.length > 0) await this.tx.save(writes);
  }
}

function parseEnvelope(raw: Buffer): FhirInboundDocument | null {
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    return isEnvelope(v) ? v : null;
  } catch {
    return null;
  }
}

export const controlIdOf = (s: Pick<StoredResource, 'resourceType' | 'id' | 'versionId'>) =>
  `${s.resourceType}/${s.id}/_history/${s.versionId}`;

export const locationOf = controlIdOf;

/** Every Reference in a resource (any depth), for rewriting. */
function eachReference(v: Json, visit: (ref: JsonObject, path: string) => void, path = ''): void {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) eachReference(x, visit, `${path}[${i}]`);
    return;
  }
  if (!isObject(v)) return;
  if (typeof v['reference'] === 'string') visit(v, path);
  for (const [k, x] of Object.entries(v)) {
    if (k === 'reference') continue;
    eachReference(x, visit, path === '' ? k : `${path}.${k}`);
  }
}

interface ParsedEntry {
  readonly index: number;
  readonly method: 'POST' | 'PUT' | 'GET';
  readonly fullUrl: string | null;
  readonly resource: FhirResource | null;
  readonly type: string;
  readonly id: string | null;
  readonly query: string | null;
  readonly ifNoneExist: string | null;
  /** Not served and skipped (lenient handling). */
  readonly skipped: boolean;
}

export interface BundleOptions {
  /** `Prefer: handling=lenient`: entries of types Crosswalk does not serve are skipped, not refused. */
  readonly lenient?: boolean;
  /** Base URL for fullUrl and links in GET answers. */
  readonly baseUrl?: string;
}

export interface BundleSummary {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: ReadonlyMap<string, number>;
  readonly failed: number;
}

function badEntry(index: number, reason: string): EntryError {
  return new EntryError(
    index,
    new CrosswalkError('CW_ERR_FHIR_BAD_BUNDLE', { position: `entry[${index}]`, reason }),
  );
}

function entryOutcome(e: CrosswalkError, severity: IssueSeverity, index: number): JsonObject {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ ...issueOf(e, severity), expression: [`Bundle.entry[${index}]`] }],
  };
}

export class FhirService {
  private readonly store: FhirStorePort;
  private readonly clock: () => Date;
  readonly source: string;

  constructor(options: FhirServiceOptions) {
    this.store = options.store;
    this.clock = options.clock ?? (() => new Date());
    this.source = options.source ?? 'fhir';
  }

  private run<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    return this.store.transaction(async (tx) => {
      const s = new Session(tx, this.clock().toISOString(), this.source);
      const out = await fn(s);
      await s.finish();
      return out;
    });
  }

  async create(
    body: JsonObject,
    type: string,
    options: { ifNoneExist?: string | null } = {},
  ): Promise<WriteOutcome> {
    if (!SPEC_BY_TYPE.has(type)) throw unsupportedType(type);
    const r = validateResource(body, type);
    return this.run(async (s) => s.write(r, await s.identify(r, null, options.ifNoneExist ?? null)));
  }

  async update(body: JsonObject, type: string, id: string): Promise<WriteOutcome> {
    if (!SPEC_BY_TYPE.has(type)) throw unsupportedType(type);
    if (!ID_PATTERN.test(id))
      throw new CrosswalkError('CW_ERR_FHIR_NOT_FOUND', { resourceType: type, id: '(invalid id)' });
    const r = validateResource(body, type);
    if (r['id'] !== undefined && r['id'] !== id) throw new CrosswalkError('CW_ERR_FHIR_ID_MISMATCH');
    return this.run(async (s) => s.write(r, { id, existing: await s.get(key(type, id)), via: 'update' }));
  }

  async read(type: string, id: string, versionId?: number): Promise<StoredResource> {
    if (!SPEC_BY_TYPE.has(type)) throw unsupportedType(type);
    const found = ID_PATTERN.test(id)
      ? versionId === undefined
        ? await this.store.read(type, id)
        : await this.store.vread(type, id, versionId)
      : null;
    if (!found) {
      throw new CrosswalkError('CW_ERR_FHIR_NOT_FOUND', {
        resourceType: type,
        id:
          type === 'Patient'
            ? '(id withheld)'
            : `${id}${versionId === undefined ? '' : ` version ${versionId}`}`,
      });
    }
    return found;
  }

  async search(
    type: string,
    params: readonly (readonly [string, string])[],
  ): Promise<{ plan: SearchPlan; page: SearchPage }> {
    if (!SPEC_BY_TYPE.has(type)) throw unsupportedType(type);
    const plan = parseSearch(type, params);
    return { plan, page: await this.store.search(plan) };
  }

  /** A transaction or batch Bundle; answers the response Bundle and a summary of what it did. */
  async bundle(
    body: JsonObject,
    options: BundleOptions = {},
  ): Promise<{ response: JsonObject; summary: BundleSummary }> {
    if (body['resourceType'] !== 'Bundle') {
      throw new CrosswalkError('CW_ERR_FHIR_BAD_BUNDLE', {
        position: 'resourceType',
        reason: 'the base accepts only a Bundle',
      });
    }
    const type = body['type'];
    if (type !== 'transaction' && type !== 'batch') {
      throw new CrosswalkError('CW_ERR_FHIR_BAD_BUNDLE', {
        position: 'type',
        reason: `must be transaction or batch (got ${typeof type === 'string' ? type.slice(0, 30) : 'none'})`,
      });
    }
    const rawEntries = body['entry'] === undefined ? [] : body['entry'];
    if (!Array.isArray(rawEntries)) throw badEntry(0, 'entry must be an array').error;
    const transaction = type === 'transaction';
    const parsed: (ParsedEntry | EntryError)[] = rawEntries.map((e, i) => {
      try {
        return this.parseEntry(e, i, options.lenient ?? false);
      } catch (err) {
        if (err instanceof EntryError) return err;
        if (isCrosswalkError(err)) return new EntryError(i, err);
        throw err;
      }
    });
    if (transaction) {
      const firstBad = parsed.find((p) => p instanceof EntryError);
      if (firstBad) throw firstBad;
    }
    const results: (JsonObject | undefined)[] = new Array(parsed.length);
    const summary = { created: 0, updated: 0, unchanged: 0, skipped: new Map<string, number>(), failed: 0 };
    parsed.forEach((p, i) => {
      if (p instanceof EntryError) {
        results[i] = {
          response: { status: statusLine(p.error.httpStatus), outcome: entryOutcome(p.error, 'error', i) },
        };
        summary.failed++;
      } else if (p.skipped) {
        summary.skipped.set(p.type, (summary.skipped.get(p.type) ?? 0) + 1);
        results[i] = {
          response: {
            status: statusLine(204),
            outcome: entryOutcome(unsupportedType(p.type), 'information', i),
          },
        };
      }
    });
    const live = parsed.filter((p): p is ParsedEntry => !(p instanceof EntryError) && !p.skipped);
    await this.run(async (s) => {
      // Who every create is, first: references to their fullUrls are rewritten to the ids found.
      const ids = new Map<number, Identity>();
      const targetOf = new Map<string, string>();
      // One read for the ids the creates would get from their urn:uuid, instead of one per entry.
      await s.prefetch(
        live.flatMap((e) => {
          const id = e.method === 'POST' ? idFromFullUrl(e.fullUrl) : null;
          return id === null ? [] : [key(e.type, id)];
        }),
      );
      for (const e of live.filter((x) => x.method === 'POST')) {
        try {
          const idn = await s.identify(e.resource!, e.fullUrl, e.ifNoneExist);
          ids.set(e.index, idn);
          if (e.fullUrl) targetOf.set(e.fullUrl, key(e.type, idn.id));
        } catch (err) {
          if (!isCrosswalkError(err)) throw err;
          if (transaction) throw new EntryError(e.index, err);
          results[e.index] = fail(err, e.index);
          summary.failed++;
        }
      }
      for (const e of live.filter((x) => x.method === 'PUT')) {
        if (e.fullUrl) targetOf.set(e.fullUrl, key(e.type, e.id!));
      }
      const writes = [...live.filter((x) => x.method === 'POST'), ...live.filter((x) => x.method === 'PUT')];
      await s.prefetch(writes.filter((e) => e.method === 'PUT').map((e) => key(e.type, e.id!)));
      for (const e of writes) {
        if (results[e.index] !== undefined) continue;
        try {
          await this.rewriteReferences(s, e, targetOf);
          const r = validateResource(e.resource!, e.type);
          const identity: Identity =
            e.method === 'POST'
              ? ids.get(e.index)!
              : { id: e.id!, existing: await s.get(key(e.type, e.id!)), via: 'update' };
          if (e.method === 'PUT' && r['id'] !== undefined && r['id'] !== e.id) {
            throw new CrosswalkError('CW_ERR_FHIR_ID_MISMATCH');
          }
          const w = s.write(r, identity);
          if (!w.changed) summary.unchanged++;
          else if (w.status === 201) summary.created++;
          else summary.updated++;
          results[e.index] = {
            response: {
              status: statusLine(w.status),
              location: locationOf(w.stored),
              etag: `W/"${w.stored.versionId}"`,
              lastModified: w.stored.lastUpdated,
            },
          };
        } catch (err) {
          if (!isCrosswalkError(err)) throw err;
          if (transaction) throw new EntryError(e.index, err);
          results[e.index] = fail(err, e.index);
          summary.failed++;
        }
      }
      for (const e of live.filter((x) => x.method === 'GET')) {
        try {
          results[e.index] = await this.getEntry(e, options.baseUrl ?? '');
        } catch (err) {
          if (!isCrosswalkError(err)) throw err;
          if (transaction) throw new EntryError(e.index, err);
          results[e.index] = fail(err, e.index);
          summary.failed++;
        }
      }
    });
    return {
      response: {
        resourceType: 'Bundle',
        type: transaction ? 'transaction-response' : 'batch-response',
        entry: results.map((r) => r ?? { response: { status: statusLine(500) } }) as Json[],
      },
      summary,
    };
  }

  private parseEntry(raw: Json, index: number, lenient: boolean): ParsedEntry {
    const e = obj(raw);
    if (e === null) throw badEntry(index, 'must be an object');
    const request = obj(e['request']);
    if (request === null) throw badEntry(index, 'request is required in a transaction or batch');
    const method = str(request['method']);
    const url = str(request['url']);
    if (method === null || url === null) throw badEntry(index, 'request.method and request.url are required');
    if (method !== 'POST' && method !== 'PUT' && method !== 'GET') {
      throw new EntryError(
        index,
        new CrosswalkError('CW_ERR_FHIR_NOT_ALLOWED', { method, what: 'Bundle entries' }),
      );
    }
    const fullUrl = str(e['fullUrl']);
    const [path, query] = url.split('?', 2) as [string, string | undefined];
    const segments = path.split('/').filter((x) => x !== '');
    const type = segments[0] ?? '';
    const resource = e['resource'] === undefined ? null : obj(e['resource']);
    const ifNoneExist = str(request['ifNoneExist']);
    const resourceType = resource === null ? type : String(resource['resourceType'] ?? '');
    const skippable = (t: string) => lenient && !SPEC_BY_TYPE.has(t);
    if (method === 'GET') {
      if (skippable(type))
        return {
          index,
          method,
          fullUrl,
          resource: null,
          type,
          id: null,
          query: null,
          ifNoneExist,
          skipped: true,
        };
      if (!SPEC_BY_TYPE.has(type)) throw new EntryError(index, unsupportedType(type));
      return {
        index,
        method,
        fullUrl,
        resource: null,
        type,
        id: segments[1] ?? null,
        query: query ?? null,
        ifNoneExist,
        skipped: false,
      };
    }
    if (resource === null) throw badEntry(index, `a ${method} entry needs a resource`);
    if (skippable(resourceType)) {
      return {
        index,
        method,
        fullUrl,
        resource: null,
        type: resourceType,
        id: null,
        query: null,
        ifNoneExist,
        skipped: true,
      };
    }
    if (!SPEC_BY_TYPE.has(resourceType)) throw new EntryError(index, unsupportedType(resourceType));
    if (type !== resourceType)
      throw badEntry(index, `request.url names ${type.slice(0, 40)}, the resource is ${resourceType}`);
    if (method === 'PUT') {
      if (query !== undefined) {
        throw new EntryError(
          index,
          new CrosswalkError('CW_ERR_FHIR_NOT_ALLOWED', {
            method: 'conditional PUT',
            what: 'Bundle entries',
          }),
        );
      }
      const id = segments[1];
      if (id === undefined || !ID_PATTERN.test(id)) throw badEntry(index, 'a PUT url is Type/id');
      return {
        index,
        method,
        fullUrl,
        resource: resource as FhirResource,
        type,
        id,
        query: null,
        ifNoneExist: null,
        skipped: false,
      };
    }
    return {
      index,
      method,
      fullUrl,
      resource: resource as FhirResource,
      type,
      id: null,
      query: null,
      ifNoneExist,
      skipped: false,
    };
  }

  /** fullUrl references become `Type/id`; conditional references (`Type?criteria`) the one match. */
  private async rewriteReferences(
    s: Session,
    e: ParsedEntry,
    targetOf: ReadonlyMap<string, string>,
  ): Promise<void> {
    const refs: { ref: JsonObject; path: string }[] = [];
    eachReference(e.resource!, (ref, path) => refs.push({ ref, path }));
    for (const { ref, path } of refs) {
      const value = ref['reference'] as string;
      const local = targetOf.get(value);
      if (local !== undefined) {
        ref['reference'] = local;
        continue;
      }
      const q = value.indexOf('?');
      if (q > 0 && !value.startsWith('urn:')) {
        const type = value.slice(0, q);
        if (!SPEC_BY_TYPE.has(type)) throw unsupportedType(type);
        const found = await s.find(parseCriteria(type, value.slice(q + 1)), 2);
        const position = `${e.type}.${path}`;
        if (found.length === 0)
          throw new CrosswalkError('CW_ERR_FHIR_CONDITIONAL_NO_MATCH', { resourceType: type, position });
        if (found.length > 1) {
          throw new CrosswalkError('CW_ERR_FHIR_CONDITIONAL_MULTIPLE', {
            resourceType: type,
            position,
            count: found.length,
          });
        }
        ref['reference'] = key(type, found[0]!.id);
      }
    }
  }

  private async getEntry(e: ParsedEntry, baseUrl: string): Promise<JsonObject> {
    if (e.id !== null) {
      const r = await this.read(e.type, e.id);
      return {
        resource: r.resource,
        response: { status: statusLine(200), etag: `W/"${r.versionId}"`, lastModified: r.lastUpdated },
      };
    }
    const params = [...new URLSearchParams(e.query ?? '')].map(([k, v]) => [k, v] as const);
    const { plan, page } = await this.search(e.type, params);
    return { resource: searchsetBundle(plan, page, baseUrl, params), response: { status: statusLine(200) } };
  }
}

function fail(err: CrosswalkError, index: number): JsonObject {
  return { response: { status: statusLine(err.httpStatus), outcome: entryOutcome(err, 'error', index) } };
}

/** A searchset Bundle: total, the page's resources and self/next/previous links that keep the query. */
export function searchsetBundle(
  plan: SearchPlan,
  page: SearchPage,
  baseUrl: string,
  params: readonly (readonly [string, string])[],
): JsonObject {
  const kept = params.filter(([k]) => k !== '_offset' && k !== '_count');
  const link = (offset: number) => {
    const q = new URLSearchParams([
      ...kept.map(([k, v]): [string, string] => [k, v]),
      ['_count', String(plan.count)],
      ['_offset', String(offset)],
    ]);
    return `${baseUrl}/${plan.resourceType}?${q.toString()}`;
  };
  const links: Json[] = [{ relation: 'self', url: link(plan.offset) }];
  if (plan.offset + page.resources.length < page.total) {
    links.push({ relation: 'next', url: link(plan.offset + plan.count) });
  }
  if (plan.offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, plan.offset - plan.count)) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: page.total,
    link: links,
    entry: page.resources.map((r) => ({
      fullUrl: `${baseUrl}/${r.resourceType}/${r.id}`,
      resource: r.resource,
      search: { mode: 'match' },
    })),
  };
}
