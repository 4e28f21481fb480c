/**
 * Issue 7 done-when: the Synthea bundles load after their organization and practitioner bundles, through
 * /fhir, and once the apply stage has run, the supply-usage events of each patient equal that patient's
 * rows of synthea/csv/supplies.csv (encounter, code, quantity, date), on both engines.
 *
 * Synthea's supplies are SNOMED-coded and unknown to the demo item master. The test does what an
 * integration engineer would: a mapping release on top of the demo one that crosswalks each SNOMED supply
 * code to a demo ERP item (round-robin over the stocked items), each Synthea Location (facility = its
 * managing Organization's identifier, point of care = its own) to a demo care location, the Synthea
 * Organizations and the FHIR source to the demo's first entity; and fiscal periods over Synthea's years.
 * The release is proposed by one person, approved by another and activated, as any release is.
 *
 * Synthea's SupplyDelivery names the patient but no encounter (R4 has no such element): the edge finds
 * the patient's encounter whose period holds the delivery time. That is checked against the CSV's
 * encounter column by the encounter's start (the two exports give encounters different ids). Every
 * FHIR row is applied except Kiara's implanted Device, which names no location (an exception, as it
 * should be), and nothing ERP-bound holds a patient id.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Applier } from '../apply/index.ts';
import { loadDemo, POSTED_AT } from '../apply/testing.ts';
import { identifierKey, tokenize } from '../canonical/index.ts';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { monthlyPeriods } from '../ledger/index.ts';
import { approve, createRelease, demoRelease, parseCsv, type ReleaseContent } from '../mapping/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { buildApp } from '../server/app.ts';
import { authorizedFhir } from '../server/smart-testing.ts';
import { openRaw } from '../store/inbox-repository.ts';
import { recordActivation, savePeriods, saveRelease } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';

const DATA = join(import.meta.dirname, '../../../shared/data/synthea');
const BUNDLES = join(DATA, 'fhir-r4-bundles');
const present = existsSync(join(BUNDLES, 'hospitalInformation1663383190872.json'));
if (!present) console.warn(`# Synthea tests SKIPPED: ${DATA} is absent`);

const PATIENT_FILES = [
  'Kaci716_Cronin387_31aace66-ce50-c2be-1166-4c95862b8035.json',
  'Kathie378_Farrell962_fa594dd3-b33b-5ccb-20dd-f34c8b62c11a.json',
  'Kiara978_Murray856_e729180b-35e1-53e4-92aa-1f77fd321b46.json',
];
const KEY = Buffer.alloc(32, 0x42);

type Json = Record<string, unknown>;
const readJson = (file: string) => JSON.parse(readFileSync(join(BUNDLES, file), 'utf8')) as Json;

function suppliesCsv(): Record<string, string>[] {
  const [head, ...body] = parseCsv(readFileSync(join(DATA, 'csv/supplies.csv'), 'utf8'), 'supplies.csv');
  return body.map((r) => Object.fromEntries(head!.cells.map((h, i) => [h, r.cells[i] ?? ''])));
}

/** The demo release plus the Synthea crosswalks (see the file comment). */
function syntheaRelease(base: ReleaseContent, hospital: Json, codes: readonly string[]): ReleaseContent {
  const entity = base.careLocations[0]!.entityCode;
  const care = base.careLocations.find((c) => c.entityCode === entity)!;
  const stocked = base.items.filter((i) => !i.billOnly && !i.implant);
  const open = { effectiveFrom: null, effectiveTo: null };
  const orgs: string[] = [];
  const places: { facility: string; pointOfCare: string }[] = [];
  for (const e of hospital['entry'] as Json[]) {
    const r = e['resource'] as Json;
    const id = ((r['identifier'] as Json[])[0]!['value'] as string) ?? '';
    if (r['resourceType'] === 'Organization') orgs.push(id);
    if (r['resourceType'] === 'Location') {
      const org = ((r['managingOrganization'] as Json)['identifier'] as Json)['value'] as string;
      places.push({ facility: org, pointOfCare: id });
    }
  }
  return {
    ...base,
    name: 'demo + synthea',
    facilities: [
      ...base.facilities,
      { facility: 'fhir', entityCode: entity, ...open },
      ...orgs.map((o) => ({ facility: o, entityCode: entity, ...open })),
    ],
    careLocations: [...base.careLocations, ...places.map((p) => ({ ...care, ...p }))],
    items: [
      ...base.items,
      ...codes.map((code, i) => ({ ...stocked[i % stocked.length]!, ehrSupplyCode: code, ...open })),
    ],
  };
}

eachEngine('Synthea through /fhir and the apply stage', (engine) => {
  test('supply-usage events per patient equal supplies.csv', {
    skip: !present && 'shared/data absent',
  }, async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const system = generateDemoHealthSystem();
    await loadDemo(store, system);
    const hospital = readJson('hospitalInformation1663383190872.json');
    const csv = suppliesCsv();
    const codes = [...new Set(csv.map((r) => r['CODE']!))].sort();
    const content = syntheaRelease(demoRelease(system), hospital, codes);
    const release = approve(createRelease(content, 'synthea.engineer'), 'synthea.controller');
    const entity = content.careLocations[0]!.entityCode;
    await store.transaction(async (tx) => {
      await savePeriods(tx, monthlyPeriods(entity, '1990-01', 12 * 35, 'open'));
      await saveRelease(tx, release, POSTED_AT);
      await recordActivation(tx, release.id, 'synthea.controller', POSTED_AT, 'synthea test');
    });

    const app = await buildApp({
      store,
      logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 'test',
    });
    const fhir = await authorizedFhir(app, store);
    try {
      const post = async (bundle: Json) => {
        const res = await fhir.inject({
          method: 'POST',
          url: '/fhir',
          headers: { 'content-type': 'application/fhir+json', prefer: 'handling=lenient' },
          payload: bundle,
        });
        assert.equal(res.statusCode, 200, res.body.slice(0, 500));
        const statuses = (res.json().entry as { response: { status: string } }[]).map(
          (e) => e.response.status,
        );
        const bad = statuses.filter((s) => !/^(200|201|204)/.test(s));
        assert.deepEqual(bad, [], 'every entry is stored, unchanged, or skipped as not served');
        return statuses;
      };
      await post(hospital);
      await post(readJson('practitionerInformation1663383190872.json'));
      for (const f of PATIENT_FILES) await post(readJson(f));
      // A resend of a patient bundle changes nothing.
      const again = await post(readJson(PATIENT_FILES[1]!));
      assert.ok(
        again.every((s) => s.startsWith('200') || s.startsWith('204')),
        'a resent bundle is answered 200 (unchanged) or 204 (not served) entry by entry',
      );

      const applier = new Applier({ store, tokenKey: KEY, clock: () => new Date(POSTED_AT) });
      await applier.drain();

      // Outcomes: every FHIR row applied except Kiara's implanted Device, which names no location.
      const outcomes = await store.query(
        `SELECT m.message_type, o.state, e.reason_code AS code FROM message_outcomes o
         JOIN inbound_messages m ON m.id = o.message_id LEFT JOIN exceptions e ON e.id = o.exception_id
         WHERE m.sender = 'fhir' AND o.state <> 'applied'`,
      );
      assert.deepEqual(
        outcomes.map((o) => `${o['message_type']} ${o['state']} ${o['code']}`),
        ['FHIR:Device failed CW_ERR_INTERPRET_MISSING_FIELD'],
      );

      // The CSV and the FHIR export name encounters with different ids (one Synthea run, two exports), so
      // an encounter is compared by when it started: the CSV's START, the FHIR Encounter's period.start.
      const startOfToken = new Map<string, string>();
      for (const f of PATIENT_FILES) {
        for (const e of readJson(f)['entry'] as Json[]) {
          const r = e['resource'] as Json;
          if (r['resourceType'] !== 'Encounter') continue;
          const ident = (r['identifier'] as Json[])[0]!;
          const token = tokenize(
            KEY,
            'encounter',
            identifierKey(String(ident['system']), String(ident['value'])),
          );
          startOfToken.set(token, new Date(String((r['period'] as Json)['start'])).toISOString());
        }
      }
      const startOfCsvEncounter = new Map(
        parseCsv(readFileSync(join(DATA, 'csv/encounters.csv'), 'utf8'), 'encounters.csv')
          .slice(1)
          .map((r) => [r.cells[0]!, new Date(r.cells[1]!).toISOString()]),
      );

      // Each supply event, with its patient found through provenance (event → inbox row → resource).
      const events = await store.query(
        `SELECT ev.payload, m.id, m.content_sha256, m.raw, m.raw_key_id FROM canonical_events ev JOIN inbound_messages m ON m.id = ev.source_message_id
         WHERE ev.type = 'SupplyUsed' AND m.sender = 'fhir'`,
      );
      const actual = events
        .map((r) => {
          const stored = (typeof r['payload'] === 'string' ? JSON.parse(r['payload']) : r['payload']) as Json;
          // The column holds the whole event (eventsToJson); its payload is inside.
          const p = stored['payload'] as Json;
          const doc = JSON.parse(openRaw(store, 'inbound_messages', r).toString('utf8')) as {
            resource: Json;
          };
          const patient = String((doc.resource['patient'] as Json)['reference']).replace('Patient/', '');
          const date = String(doc.resource['occurrenceDateTime']).slice(0, 10);
          const encounter = startOfToken.get(String(p['encounterToken'])) ?? `unknown ${p['encounterToken']}`;
          return `${patient} ${encounter} ${p['ehrSupplyCode']} ${p['quantity']} ${date}`;
        })
        .sort();
      const expected = csv
        .map((r) => {
          const encounter = startOfCsvEncounter.get(r['ENCOUNTER']!) ?? 'missing';
          return `${r['PATIENT']} ${encounter} ${r['CODE']} ${r['QUANTITY']} ${r['DATE']}`;
        })
        .sort();
      assert.equal(actual.length, 96);
      assert.deepEqual(actual, expected);

      // Nothing ERP-bound holds a Synthea patient id.
      for (const table of ['canonical_events', 'journal_lines', 'journal_entries']) {
        const rows = await store.query(`SELECT * FROM ${table}`);
        const text = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
        for (const f of PATIENT_FILES) {
          const id = f.slice(-41, -5);
          assert.equal(text.includes(id), false, `${table} holds no patient id`);
        }
      }
    } finally {
      await app.close();
    }
  });
});
