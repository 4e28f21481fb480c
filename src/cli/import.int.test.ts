/**
 * `crosswalk import` through the real binary, per engine, on generated files: NDJSON (with a broken
 * line), a transaction Bundle that refers to the NDJSON's resources by identifier and urn:uuid, and a
 * single resource. The summary counts what happened, a broken line is one failure (exit 1, no stack), a
 * second run changes nothing, and the API then sees the imported resources as the same resources.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { createLogger, Metrics } from '../observe/index.ts';
import { buildApp } from '../server/app.ts';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { authedCli, killChildren } from './test-process.ts';

after(killChildren);

const ORG = (i: number) => ({
  resourceType: 'Organization',
  id: `org-${i}`,
  identifier: [{ system: 'urn:test:org', value: `ORG${i}` }],
  name: `Organization ${i}`,
});
const LOCATION = (i: number) => ({
  resourceType: 'Location',
  id: `loc-${i}`,
  identifier: [{ system: 'urn:test:loc', value: `LOC${i}` }],
  status: 'active',
  managingOrganization: { reference: `Organization/org-${i}` },
});

async function files(dir: string): Promise<void> {
  const ndjson = [ORG(1), ORG(2), LOCATION(1), LOCATION(2)].map((r) => JSON.stringify(r));
  ndjson.splice(2, 0, '{"resourceType": "Organization", "id": ');
  await writeFile(join(dir, 'a-master.ndjson'), `${ndjson.join('\n')}\n`);
  await writeFile(
    join(dir, 'b-usage.json'),
    JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:3f1d6a4e-2c55-4e0b-9c1a-000000000001',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value: 'M1' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:test:mrn|M1' },
        },
        {
          fullUrl: 'urn:uuid:3f1d6a4e-2c55-4e0b-9c1a-000000000002',
          resource: {
            resourceType: 'SupplyDelivery',
            status: 'completed',
            patient: { reference: 'urn:uuid:3f1d6a4e-2c55-4e0b-9c1a-000000000001' },
            destination: { reference: 'Location?identifier=urn:test:loc|LOC2' },
            suppliedItem: { quantity: { value: 3 }, itemCodeableConcept: { coding: [{ code: '7000001' }] } },
            occurrenceDateTime: '2026-03-01T10:00:00Z',
          },
          request: { method: 'POST', url: 'SupplyDelivery' },
        },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'not served' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    }),
  );
  await writeFile(
    join(dir, 'c-device.json'),
    JSON.stringify({
      resourceType: 'Device',
      identifier: [{ system: 'urn:test:dev', value: 'D1' }],
      status: 'active',
    }),
  );
}

eachEngine('crosswalk import', (engine) => {
  test('NDJSON, Bundles and single resources load once, with a summary; a re-run changes nothing', async () => {
    const url = await engine.freshUrl({ migrated: true });
    const env = { CROSSWALK_DATABASE_URL: url };
    const cli = authedCli(() => env);
    const dir = await mkdtemp(join(tmpdir(), 'cw-import-'));
    try {
      await files(dir);
      assert.equal((await cli(['migrate'])).code, 0);
      const first = await cli(['import', dir, '--json']);
      assert.equal(first.code, 1, 'the broken line makes the run fail');
      assert.equal(first.stderr.includes('    at '), false, 'no stack trace');
      const summary = JSON.parse(first.stdout) as {
        totals: {
          created: number;
          updated: number;
          unchanged: number;
          failed: number;
          skipped: Record<string, number>;
        };
        failures: { file: string; where: string; code: string }[];
        files: { file: string; kind: string }[];
      };
      assert.deepEqual(
        summary.files.map((f) => `${f.file} ${f.kind}`),
        ['a-master.ndjson ndjson', 'c-device.json resource', 'b-usage.json transaction'],
        'NDJSON and single resources before transactions',
      );
      assert.equal(summary.totals.created, 7);
      assert.equal(summary.totals.failed, 1);
      assert.deepEqual(summary.totals.skipped, { Observation: 1 });
      assert.deepEqual(
        summary.failures.map((f) => `${f.file} ${f.where} ${f.code}`),
        ['a-master.ndjson line 3 CW_ERR_FHIR_BAD_JSON'],
      );

      const second = await cli(['import', dir, '--json']);
      const again = JSON.parse(second.stdout) as typeof summary;
      assert.equal(again.totals.created, 0);
      assert.equal(again.totals.updated, 0);
      assert.equal(again.totals.unchanged, 7);

      const human = await cli(['import', join(dir, 'b-usage.json')]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /total: 0 created, 0 updated, 2 unchanged, 0 failed/);
      assert.match(human.stdout, /skipped \(types Crosswalk does not serve\): Observation 1/);

      // The API sees the same resources: the imported SupplyDelivery points at the imported Location,
      // and a create of the imported Device is recognised as a resend.
      const store = await openStore(url, { poolMax: 2 });
      const app = await buildApp({
        store,
        logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
        metrics: new Metrics({ defaultMetrics: false }),
        version: 'test',
      });
      try {
        // An integration engineer's own API token is accepted on /fhir (held to fhir.read/fhir.write).
        const { headers } = await userWithToken(store, 'ivy', ['integration_engineer']);
        const sd = await app.inject({
          url: '/fhir/SupplyDelivery/3f1d6a4e-2c55-4e0b-9c1a-000000000002',
          headers,
        });
        assert.equal(sd.json().destination.reference, 'Location/loc-2');
        const device = await app.inject({
          method: 'POST',
          url: '/fhir/Device',
          headers: { ...headers, 'content-type': 'application/fhir+json' },
          payload: {
            resourceType: 'Device',
            identifier: [{ system: 'urn:test:dev', value: 'D1' }],
            status: 'active',
          },
        });
        assert.equal(device.statusCode, 200);
        const inbox = await store.query(
          "SELECT message_type FROM inbound_messages WHERE sender = 'fhir' ORDER BY id",
        );
        assert.deepEqual(
          inbox.map((r) => r['message_type']),
          ['FHIR:Location', 'FHIR:Location', 'FHIR:Device', 'FHIR:SupplyDelivery'],
        );
      } finally {
        await app.close();
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
