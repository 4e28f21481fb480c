/**
 * FHIR transaction Bundle ingest on embedded SQLite: Bundles of 100 SupplyDelivery (each with its own
 * urn:uuid, a patient and a destination Location), from bytes to committed rows: size and depth checks,
 * JSON.parse, validation, identity (urn:uuid), reference rewriting, the patient's encounter looked up,
 * search rows, the inbox envelope, and one transaction per Bundle (synchronous=FULL). Through the HTTP
 * plugin too (app.inject: SMART bearer-token check, routing, parser, response), still without a socket;
 * the token comes from a registered system client through the real token endpoint, before the clock.
 *
 * Peer in the same run, on the same kind of fresh database: JSON.parse of the same Bundles and a plain
 * multi-row insert of each resource's JSON into one table, one transaction per Bundle — the floor any
 * durable FHIR ingest stands on. Medians over rounds, resources per second, and the ratio to the peer.
 *
 *   npm run bench -- fhir [--bundles=N] [--rounds=N]
 */
import { Writable } from 'node:stream';
import { FhirService, parseBody } from '../src/fhir/index.ts';
import { createLogger, Metrics } from '../src/observe/index.ts';
import { buildApp } from '../src/server/app.ts';
import { authorizedFhir } from '../src/server/smart-testing.ts';
import { insertRows } from '../src/store/bulk.ts';
import { FhirRepository } from '../src/store/fhir-repository.ts';
import { migrate, SqliteStore } from '../src/store/index.ts';
import { arg, freshDb } from './harness.ts';
import { fmt, median } from './stats.ts';

const PER_BUNDLE = 100;

function bundles(n: number, round: number): Buffer[] {
  const out: Buffer[] = [];
  for (let b = 0; b < n; b++) {
    const entry = [];
    for (let i = 0; i < PER_BUNDLE; i++) {
      const seq = (round * n + b) * PER_BUNDLE + i;
      entry.push({
        fullUrl: `urn:uuid:00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`,
        resource: {
          resourceType: 'SupplyDelivery',
          status: 'completed',
          patient: { reference: `Patient/p${b % 50}` },
          type: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/supply-item-type', code: 'device' }],
          },
          suppliedItem: {
            quantity: { value: 1 + (i % 5) },
            itemCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: `70000${i % 10}` }] },
          },
          occurrenceDateTime: `2026-03-${String(1 + (i % 28)).padStart(2, '0')}T08:${String(i % 60).padStart(2, '0')}:00Z`,
          destination: { reference: 'Location/or-1' },
        },
        request: { method: 'POST', url: 'SupplyDelivery' },
      });
    }
    out.push(Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry })));
  }
  return out;
}

async function withStore<T>(tag: string, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const db = await freshDb('sqlite', tag);
  const store = new SqliteStore(db.url);
  try {
    await migrate(store);
    return await fn(store);
  } finally {
    await store.close();
    await db.drop();
  }
}

async function seedLocation(service: FhirService): Promise<void> {
  await service.update(
    {
      resourceType: 'Location',
      id: 'or-1',
      identifier: [{ system: 'urn:bench', value: 'OR' }],
      status: 'active',
    },
    'Location',
    'or-1',
  );
}

export async function run(args: string[]): Promise<void> {
  const n = Number(arg(args, 'bundles', '100'));
  const rounds = Number(arg(args, 'rounds', '3'));
  console.log(
    `${fmt(n)} transaction Bundles of ${PER_BUNDLE} SupplyDelivery per round, ${rounds} rounds, fresh SQLite file per round`,
  );
  const service: number[] = [];
  const http: number[] = [];
  const peer: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const input = bundles(n, r);
    peer.push(
      await withStore(`peer${r}`, async (store) => {
        await store.executeScript(
          'CREATE TABLE peer_resources (id TEXT PRIMARY KEY, resource TEXT NOT NULL)',
        );
        const t0 = performance.now();
        for (const bytes of input) {
          const b = JSON.parse(bytes.toString('utf8')) as { entry: { fullUrl: string; resource: unknown }[] };
          await store.transaction((tx) =>
            insertRows(
              tx,
              'peer_resources',
              b.entry.map((e) => ({ id: e.fullUrl, resource: JSON.stringify(e.resource) })),
            ),
          );
        }
        return (n * PER_BUNDLE) / ((performance.now() - t0) / 1000);
      }),
    );
    service.push(
      await withStore(`svc${r}`, async (store) => {
        const svc = new FhirService({ store: new FhirRepository(store) });
        await seedLocation(svc);
        const t0 = performance.now();
        for (const bytes of input) {
          const { summary } = await svc.bundle(parseBody(bytes));
          if (summary.created !== PER_BUNDLE) throw new Error(`created ${summary.created}`);
        }
        const rate = (n * PER_BUNDLE) / ((performance.now() - t0) / 1000);
        const rows = await store.query("SELECT COUNT(*) AS n FROM inbound_messages WHERE sender = 'fhir'");
        if (Number(rows[0]!['n']) !== n * PER_BUNDLE + 1) throw new Error('inbox rows missing');
        return rate;
      }),
    );
    http.push(
      await withStore(`http${r}`, async (store) => {
        const app = await buildApp({
          store,
          logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
          metrics: new Metrics({ defaultMetrics: false }),
          version: 'bench',
        });
        await seedLocation(new FhirService({ store: new FhirRepository(store) }));
        const fhir = await authorizedFhir(app, store);
        const t0 = performance.now();
        for (const bytes of input) {
          const res = await fhir.inject({
            method: 'POST',
            url: '/fhir',
            headers: { 'content-type': 'application/fhir+json' },
            payload: bytes,
          });
          if (res.statusCode !== 200) throw new Error(res.body.slice(0, 200));
        }
        const rate = (n * PER_BUNDLE) / ((performance.now() - t0) / 1000);
        await app.close();
        return rate;
      }),
    );
  }
  const p = median(peer);
  const line = (label: string, xs: number[]) =>
    console.log(
      `${label}: ${fmt(median(xs))} resources/s median [${xs.map((x) => fmt(x)).join(', ')}], ${(median(xs) / p).toFixed(2)}x the peer`,
    );
  console.log(
    `peer  JSON.parse + multi-row insert, one transaction per Bundle: ${fmt(p)} resources/s median [${peer.map((x) => fmt(x)).join(', ')}]`,
  );
  line('FhirService.bundle (bytes → committed resources, search rows, inbox rows)', service);
  line('POST /fhir through the Fastify plugin (app.inject)', http);
  console.log(
    `target: >= 5,000 resources/s (${median(service) >= 5000 ? 'met' : 'NOT met'} by the service, ${median(http) >= 5000 ? 'met' : 'NOT met'} over HTTP)`,
  );
}
