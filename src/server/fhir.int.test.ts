/**
 * /fhir through the real HTTP composition (app.inject) on both engines: the FHIR R4 spec examples of
 * the served types are accepted and read back equal, the others refused with an OperationOutcome;
 * search, paging, transaction Bundles with urn:uuid and conditional references, idempotent creates,
 * and every kind of error as an OperationOutcome with its status. Requests carry the bearer token of a
 * registered SMART system client, obtained through the real token endpoint (smart-testing.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { SUPPORTED_TYPES } from '../fhir/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { migrate, type Store } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { buildApp } from './app.ts';
import { authorizedFhir, type bearerInject } from './smart-testing.ts';

const EXAMPLES = join(import.meta.dirname, '../../../shared/data/fhir/r4-spec-examples');
const haveExamples = existsSync(EXAMPLES);
if (!haveExamples) console.warn(`# FHIR spec example tests SKIPPED: ${EXAMPLES} is absent`);

type Json = Record<string, unknown>;

/** The app, with `inject` authenticated as a SMART system client holding every system scope. */
async function fhirApp(store: Store): Promise<{ inject: FhirInject; close: () => Promise<void> }> {
  await migrate(store);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const app = await buildApp({
    store,
    logger: createLogger('warn', sink),
    metrics: new Metrics({ defaultMetrics: false }),
    version: 'test',
  });
  return authorizedFhir(app, store);
}
type FhirInject = ReturnType<typeof bearerInject>;

const FHIR = { 'content-type': 'application/fhir+json' };

/** A resource as the client sent it: server-owned meta left out. */
function clientView(r: Json): Json {
  const { meta, ...rest } = r;
  const m = { ...(meta as Json | undefined) };
  delete m['versionId'];
  delete m['lastUpdated'];
  return Object.keys(m).length > 0 ? { ...rest, meta: m } : rest;
}

function assertOutcome(res: { statusCode: number; json(): unknown }, status: number, code: string): Json {
  assert.equal(res.statusCode, status, `status ${res.statusCode}, expected ${status}`);
  const body = res.json() as Json;
  assert.equal(body['resourceType'], 'OperationOutcome');
  const issue = (body['issue'] as Json[])[0]!;
  const details = issue['details'] as { coding: { code: string }[] };
  assert.equal(details.coding[0]!.code, code);
  return issue;
}

function examples(): { file: string; resource: Json }[] {
  return readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, resource: JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as Json }));
}

eachEngine('/fhir', (engine) => {
  test('spec examples of the served types are accepted and read back equal; the others are refused', {
    skip: !haveExamples && 'shared/data absent',
  }, async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await fhirApp(store);
    try {
      let accepted = 0;
      const seen = new Map<string, number>();
      let refused = 0;
      for (const { file, resource } of examples()) {
        const type = String(resource['resourceType']);
        // Collection bundles of a served type are examples too: each entry is one.
        const items: Json[] =
          type === 'Bundle' && resource['type'] === 'collection'
            ? (resource['entry'] as Json[]).map((e) => e['resource'] as Json)
            : [resource];
        for (const r of items) {
          const rtype = String(r['resourceType']);
          if (SUPPORTED_TYPES.includes(rtype)) {
            // Two example files share Location/2: the second is an update of the first.
            const key = `${rtype}/${r['id']}`;
            const version = (seen.get(key) ?? 0) + 1;
            seen.set(key, version);
            const put = await app.inject({
              method: 'PUT',
              url: `/fhir/${key}`,
              headers: FHIR,
              payload: r,
            });
            assert.equal(put.statusCode, version === 1 ? 201 : 200, `${file}: ${put.body}`);
            const back = await app.inject(`/fhir/${key}`);
            assert.equal(back.statusCode, 200, file);
            assert.deepEqual(clientView(back.json()), r, `${file} reads back equal`);
            assert.equal(back.json().meta.versionId, String(version));
            const again = await app.inject({ method: 'PUT', url: `/fhir/${key}`, headers: FHIR, payload: r });
            assert.equal(again.statusCode, 200, `${file}: a resend is no new version`);
            assert.equal(again.json().meta.versionId, String(version));
            accepted++;
          } else if (rtype === 'Bundle') {
            const res = await app.inject({ method: 'POST', url: '/fhir', headers: FHIR, payload: r });
            assert.ok(
              res.statusCode === 400 || res.statusCode === 405 || res.statusCode === 404,
              `${file}: ${res.statusCode}`,
            );
            assert.equal(res.json().resourceType, 'OperationOutcome', file);
            refused++;
          } else {
            const res = await app.inject({
              method: 'POST',
              url: `/fhir/${rtype}`,
              headers: FHIR,
              payload: r,
            });
            assertOutcome(res, 404, 'CW_ERR_FHIR_UNSUPPORTED_TYPE');
            refused++;
          }
        }
      }
      assert.ok(accepted >= 60, `accepted ${accepted}`);
      assert.ok(refused >= 60, `refused ${refused}`);
    } finally {
      await app.close();
    }
  });

  test('search: identifier, patient, date, _lastUpdated, paging with next links', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await fhirApp(store);
    try {
      for (let i = 0; i < 7; i++) {
        const res = await app.inject({
          method: 'POST',
          url: '/fhir/SupplyDelivery',
          headers: FHIR,
          payload: {
            resourceType: 'SupplyDelivery',
            identifier: [{ system: 'urn:test:sd', value: `sd-${i}` }],
            status: 'completed',
            patient: { reference: `Patient/p${i % 2}` },
            suppliedItem: {
              quantity: { value: i + 1 },
              itemCodeableConcept: { coding: [{ system: 'urn:x', code: '7000001' }] },
            },
            occurrenceDateTime: `2026-03-0${i + 1}T10:00:00Z`,
          },
        });
        assert.equal(res.statusCode, 201, res.body);
      }
      const search = async (q: string) => {
        const res = await app.inject(`/fhir/SupplyDelivery?${q}`);
        assert.equal(res.statusCode, 200, res.body);
        return res.json() as {
          total: number;
          entry?: { resource: Json }[];
          link: { relation: string; url: string }[];
        };
      };
      assert.equal((await search('identifier=urn:test:sd|sd-3')).total, 1);
      assert.equal((await search('identifier=sd-3')).total, 1);
      assert.equal((await search('identifier=urn:other|sd-3')).total, 0);
      assert.equal((await search('patient=Patient/p0')).total, 4);
      assert.equal((await search('patient=p1')).total, 3);
      assert.equal((await search('date=2026-03-02')).total, 1);
      assert.equal((await search('date=ge2026-03-05&date=lt2026-03-07')).total, 2);
      assert.equal((await search('_lastUpdated=gt2000-01-01')).total, 7);
      assert.equal((await search('_lastUpdated=lt2000-01-01')).total, 0);
      const page1 = await search('_count=3');
      assert.equal(page1.total, 7);
      assert.equal(page1.entry?.length, 3);
      const next = page1.link.find((l) => l.relation === 'next')!;
      const page2 = await search(next.url.split('?')[1]!);
      assert.equal(page2.entry?.length, 3);
      const ids = new Set([...page1.entry!, ...page2.entry!].map((e) => e.resource['id']));
      assert.equal(ids.size, 6, 'pages do not overlap');
      assertOutcome(await app.inject('/fhir/SupplyDelivery?name=x'), 400, 'CW_ERR_FHIR_BAD_SEARCH');
      assertOutcome(await app.inject('/fhir/SupplyDelivery?date=yesterday'), 400, 'CW_ERR_FHIR_BAD_SEARCH');
    } finally {
      await app.close();
    }
  });

  test('transaction Bundles: urn:uuid and conditional references, idempotent creates, conflicts, all or nothing', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await fhirApp(store);
    try {
      const org = {
        resourceType: 'Organization',
        identifier: [{ system: 'urn:test:org', value: 'HRMC' }],
        name: 'Harbor Regional',
      };
      const created = await app.inject({
        method: 'POST',
        url: '/fhir/Organization',
        headers: { ...FHIR, 'if-none-exist': 'identifier=urn:test:org|HRMC' },
        payload: org,
      });
      assert.equal(created.statusCode, 201);
      const orgId = created.json().id as string;
      const again = await app.inject({
        method: 'POST',
        url: '/fhir/Organization',
        headers: { ...FHIR, 'if-none-exist': 'identifier=urn:test:org|HRMC' },
        payload: { ...org, name: 'changed but matched by If-None-Exist' },
      });
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().id, orgId);
      assert.equal(again.json().name, 'Harbor Regional', 'If-None-Exist returns the stored resource');
      // The same identifier with different content and no If-None-Exist is a conflict, never an overwrite.
      assertOutcome(
        await app.inject({
          method: 'POST',
          url: '/fhir/Organization',
          headers: FHIR,
          payload: { ...org, name: 'other' },
        }),
        409,
        'CW_ERR_FHIR_IDENTITY_CONFLICT',
      );

      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:0d5f1c1e-3a5b-4f62-9a57-9d0f1e0a0b01',
            resource: {
              resourceType: 'Location',
              identifier: [{ system: 'urn:test:loc', value: 'ED' }],
              status: 'active',
              managingOrganization: { reference: 'Organization?identifier=urn:test:org|HRMC' },
            },
            request: { method: 'POST', url: 'Location' },
          },
          {
            fullUrl: 'urn:uuid:0d5f1c1e-3a5b-4f62-9a57-9d0f1e0a0b02',
            resource: {
              resourceType: 'SupplyDelivery',
              status: 'completed',
              patient: { reference: 'Patient/p1' },
              destination: { reference: 'urn:uuid:0d5f1c1e-3a5b-4f62-9a57-9d0f1e0a0b01' },
              suppliedItem: {
                quantity: { value: 2 },
                itemCodeableConcept: { coding: [{ code: '7000001' }] },
              },
              occurrenceDateTime: '2026-03-01T10:00:00Z',
            },
            request: { method: 'POST', url: 'SupplyDelivery' },
          },
        ],
      };
      const res = await app.inject({ method: 'POST', url: '/fhir', headers: FHIR, payload: bundle });
      assert.equal(res.statusCode, 200, res.body);
      const answer = res.json() as {
        type: string;
        entry: { response: { status: string; location: string } }[];
      };
      assert.equal(answer.type, 'transaction-response');
      assert.deepEqual(
        answer.entry.map((e) => e.response.status),
        ['201 Created', '201 Created'],
      );
      const sd = await app.inject(`/fhir/${answer.entry[1]!.response.location.split('/_history')[0]}`);
      assert.equal(sd.json().id, '0d5f1c1e-3a5b-4f62-9a57-9d0f1e0a0b02', 'the urn:uuid names the resource');
      assert.equal(sd.json().destination.reference, 'Location/0d5f1c1e-3a5b-4f62-9a57-9d0f1e0a0b01');
      const loc = await app.inject('/fhir/Location/0d5f1c1e-3a5b-4f62-9a57-9d0f1e0a0b01');
      assert.equal(loc.json().managingOrganization.reference, `Organization/${orgId}`);

      // A resend changes nothing: same answers, no new version, no new inbox row.
      const inboxBefore = await store.query('SELECT COUNT(*) AS n FROM inbound_messages');
      const resend = await app.inject({ method: 'POST', url: '/fhir', headers: FHIR, payload: bundle });
      assert.deepEqual(
        (resend.json() as typeof answer).entry.map((e) => e.response.status),
        ['200 OK', '200 OK'],
      );
      assert.deepEqual(await store.query('SELECT COUNT(*) AS n FROM inbound_messages'), inboxBefore);
      assert.equal(
        Number(inboxBefore[0]!['n']),
        2,
        'Location and SupplyDelivery reach the inbox; Organization does not',
      );

      // One bad entry refuses the whole transaction: nothing of it is stored.
      const bad = structuredClone(bundle);
      bad.entry[0]!.fullUrl = 'urn:uuid:0d5f1c1e-3a5b-4f62-9a57-9d0f1e0a0b03';
      bad.entry[0]!.resource.identifier = [{ system: 'urn:test:loc', value: 'OR' }];
      bad.entry[1]!.resource.destination = { reference: 'Location?identifier=urn:test:loc|NOWHERE' };
      const refused = await app.inject({ method: 'POST', url: '/fhir', headers: FHIR, payload: bad });
      const issue = assertOutcome(refused, 404, 'CW_ERR_FHIR_CONDITIONAL_NO_MATCH');
      assert.deepEqual(issue['expression'], ['Bundle.entry[1]']);
      assert.equal((await app.inject('/fhir/Location?identifier=urn:test:loc|OR')).json().total, 0);

      // A batch answers per entry; unsupported types are skipped only when asked for lenient handling.
      const batch = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            resource: { resourceType: 'Claim', status: 'active' },
            request: { method: 'POST', url: 'Claim' },
          },
          {
            resource: { ...org, identifier: [{ system: 'urn:test:org', value: 'B' }] },
            request: { method: 'POST', url: 'Organization' },
          },
        ],
      };
      const strict = (
        await app.inject({ method: 'POST', url: '/fhir', headers: FHIR, payload: batch })
      ).json();
      assert.deepEqual(
        strict.entry.map((e: { response: { status: string } }) => e.response.status),
        ['404 Not Found', '201 Created'],
      );
      const lenient = (
        await app.inject({
          method: 'POST',
          url: '/fhir',
          headers: { ...FHIR, prefer: 'handling=lenient' },
          payload: batch,
        })
      ).json();
      assert.deepEqual(
        lenient.entry.map((e: { response: { status: string } }) => e.response.status),
        ['204 No Content', '200 OK'],
      );
    } finally {
      await app.close();
    }
  });

  test('errors are OperationOutcomes with the right status', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await fhirApp(store);
    try {
      assertOutcome(await app.inject('/fhir/Claim/1'), 404, 'CW_ERR_FHIR_UNSUPPORTED_TYPE');
      assertOutcome(await app.inject('/fhir/Device/nope'), 404, 'CW_ERR_FHIR_NOT_FOUND');
      assertOutcome(
        await app.inject({
          method: 'POST',
          url: '/fhir/Encounter',
          headers: FHIR,
          payload: { resourceType: 'Encounter', status: 'finished' },
        }),
        400,
        'CW_ERR_FHIR_INVALID_RESOURCE',
      );
      assertOutcome(
        await app.inject({
          method: 'POST',
          url: '/fhir/Encounter',
          headers: FHIR,
          payload: { resourceType: 'Encounter', status: 'done', class: { code: 'AMB' } },
        }),
        400,
        'CW_ERR_FHIR_INVALID_RESOURCE',
      );
      assertOutcome(
        await app.inject({
          method: 'POST',
          url: '/fhir/Device',
          headers: FHIR,
          payload: '{"resourceType": "Device",',
        }),
        400,
        'CW_ERR_FHIR_BAD_JSON',
      );
      const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
      assertOutcome(
        await app.inject({
          method: 'POST',
          url: '/fhir/Device',
          headers: FHIR,
          payload: `{"resourceType":"Device","x":${deep}}`,
        }),
        400,
        'CW_ERR_FHIR_TOO_DEEP',
      );
      const big = JSON.stringify({ resourceType: 'Device', note: [{ text: 'x'.repeat(17 * 1024 * 1024) }] });
      assertOutcome(
        await app.inject({ method: 'POST', url: '/fhir/Device', headers: FHIR, payload: big }),
        413,
        'CW_ERR_FHIR_TOO_LARGE',
      );
      assertOutcome(
        await app.inject({
          method: 'POST',
          url: '/fhir/Device',
          headers: { 'content-type': 'text/plain' },
          payload: 'x',
        }),
        415,
        'CW_ERR_FHIR_MEDIA_TYPE',
      );
      assertOutcome(
        await app.inject({
          method: 'PUT',
          url: '/fhir/Device/a',
          headers: FHIR,
          payload: { resourceType: 'Device', id: 'b' },
        }),
        400,
        'CW_ERR_FHIR_ID_MISMATCH',
      );
      assertOutcome(
        await app.inject({ method: 'DELETE', url: '/fhir/Device/a' }),
        405,
        'CW_ERR_FHIR_NOT_ALLOWED',
      );
      assertOutcome(await app.inject('/fhir/Device/a/b/c/d'), 404, 'CW_ERR_FHIR_NOT_ALLOWED');
      const meta = await app.inject('/fhir/metadata');
      assert.equal(meta.json().resourceType, 'CapabilityStatement');
      assert.deepEqual(
        meta.json().rest[0].resource.map((r: { type: string }) => r.type),
        SUPPORTED_TYPES,
      );
    } finally {
      await app.close();
    }
  });
});
