/**
 * /fhir driven by a real FHIR client library (fhir-kit-client) over a real socket on port 0, on both
 * engines: capability statement, create (conditional), read, vread, update, search with paging through
 * the client's nextPage, a transaction, and errors reaching the client as OperationOutcomes. The client
 * finds the token endpoint through its own SMART discovery, and carries the access token a registered
 * system client obtained with a signed assertion.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Client } from 'fhir-kit-client';
import { createLogger, Metrics } from '../observe/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { buildApp } from './app.ts';
import { registerTestClient, testAssertion, tokenForm } from './smart-testing.ts';

type Json = Record<string, unknown>;

async function failure(p: Promise<unknown>): Promise<{ status: number; data: Json }> {
  try {
    await p;
  } catch (e) {
    const r = (e as { response?: { status: number; data: unknown } }).response;
    assert.ok(r, `expected an HTTP error, got ${String(e)}`);
    const data = typeof r.data === 'string' ? (JSON.parse(r.data) as Json) : (r.data as Json);
    return { status: r.status, data };
  }
  assert.fail('expected the request to fail');
}

eachEngine('/fhir with fhir-kit-client', (engine) => {
  test('a real FHIR client creates, reads, updates, searches, pages and transacts', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await buildApp({
      store,
      logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 'test',
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const client = new Client({ baseUrl: `http://127.0.0.1:${port}/fhir` });
    try {
      const cs = (await client.capabilityStatement()) as Json;
      assert.equal(cs['resourceType'], 'CapabilityStatement');
      assert.equal(cs['fhirVersion'], '4.0.1');

      const anonymous = await failure(client.read({ resourceType: 'Practitioner', id: 'nobody' }));
      assert.equal(anonymous.status, 401, 'no token, no access');
      assert.equal(anonymous.data['resourceType'], 'OperationOutcome');
      const auth = (await client.smartAuthMetadata()) as { tokenUrl?: URL };
      assert.equal(auth.tokenUrl?.href, `http://127.0.0.1:${port}/auth/token`);
      const system = await registerTestClient(store, { clientId: 'kit-client', alg: 'RS384' });
      const res = await fetch(auth.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: tokenForm(testAssertion(system, auth.tokenUrl.href), 'system/*.read system/*.write'),
      });
      assert.equal(res.status, 200);
      client.bearerToken = ((await res.json()) as { access_token: string }).access_token;

      const practitioner = {
        resourceType: 'Practitioner',
        identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1131007829' }],
        name: [{ family: 'Okafor', given: ['Ada'] }],
        active: true,
      };
      const created = (await client.create({
        resourceType: 'Practitioner',
        body: practitioner,
        options: { headers: { 'If-None-Exist': 'identifier=http://hl7.org/fhir/sid/us-npi|1131007829' } },
      })) as Json;
      const id = String(created['id']);
      assert.equal((created['meta'] as Json)['versionId'], '1');
      const again = (await client.create({
        resourceType: 'Practitioner',
        body: practitioner,
        options: { headers: { 'If-None-Exist': 'identifier=http://hl7.org/fhir/sid/us-npi|1131007829' } },
      })) as Json;
      assert.equal(again['id'], id, 'a conditional create finds the stored practitioner');

      const read = (await client.read({ resourceType: 'Practitioner', id })) as Json;
      assert.deepEqual(read['name'], practitioner.name);
      const updated = (await client.update({
        resourceType: 'Practitioner',
        id,
        body: { ...practitioner, id, active: false },
      })) as Json;
      assert.equal((updated['meta'] as Json)['versionId'], '2');
      const v1 = (await client.vread({ resourceType: 'Practitioner', id, version: '1' })) as Json;
      assert.equal(v1['active'], true);

      const tx = (await client.transaction({
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: Array.from({ length: 12 }, (_, i) => ({
            fullUrl: `urn:uuid:7d1c9b2e-0000-4000-8000-${String(i).padStart(12, '0')}`,
            resource: {
              resourceType: 'SupplyDelivery',
              status: 'completed',
              patient: { reference: 'Patient/p1' },
              suppliedItem: {
                quantity: { value: 1 },
                itemCodeableConcept: { coding: [{ code: '7000001' }] },
              },
              occurrenceDateTime: `2026-03-${String(i + 1).padStart(2, '0')}T08:00:00Z`,
            },
            request: { method: 'POST', url: 'SupplyDelivery' },
          })),
        },
      })) as Json;
      assert.equal(tx['type'], 'transaction-response');
      assert.equal((tx['entry'] as Json[]).length, 12);

      const first = (await client.search({
        resourceType: 'SupplyDelivery',
        searchParams: { patient: 'Patient/p1', _count: '5' },
      })) as Json;
      assert.equal(first['total'], 12);
      const seen = new Set<string>();
      let page: Json | undefined = first;
      while (page) {
        for (const e of (page['entry'] as Json[] | undefined) ?? [])
          seen.add(String((e['resource'] as Json)['id']));
        page = (await client.nextPage({ bundle: page as never })) as Json | undefined;
      }
      assert.equal(seen.size, 12, 'nextPage walks every match once');

      const notFound = await failure(client.read({ resourceType: 'Practitioner', id: 'nobody' }));
      assert.equal(notFound.status, 404);
      assert.equal(notFound.data['resourceType'], 'OperationOutcome');
      const invalid = await failure(
        client.create({
          resourceType: 'ChargeItem',
          body: { resourceType: 'ChargeItem', status: 'billable' },
        }),
      );
      assert.equal(invalid.status, 400);
      assert.equal(invalid.data['resourceType'], 'OperationOutcome');
    } finally {
      await app.close();
    }
  });
});
