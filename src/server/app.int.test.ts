import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Inbox } from '../inbox/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { migrate } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { buildApp } from './app.ts';

function quietLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

eachEngine('HTTP shell', (engine) => {
  test('readiness follows the schema; health, metrics and the OpenAPI document answer', async () => {
    const { store } = await engine.freshStore();
    const { logger, lines } = quietLogger();
    const app = await buildApp({
      store,
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      version: '9.9.9',
    });
    try {
      assert.equal((await app.inject('/healthz')).statusCode, 200);
      const notReady = await app.inject('/readyz');
      assert.equal(notReady.statusCode, 503);
      assert.equal(notReady.json().code, 'CW_ERR_STORE_NOT_MIGRATED');

      await migrate(store);
      const { headers } = await userWithToken(store, 'ops', ['integration_engineer']);
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().engine, engine.dialect);

      assert.equal((await app.inject('/api/system')).statusCode, 401, 'no credential, no answer');
      const system = await app.inject({ url: '/api/system', headers });
      assert.equal(system.json().version, '9.9.9');
      assert.equal(system.json().schemaVersion, system.json().expectedSchemaVersion);

      const doc = (await app.inject('/api/openapi.json')).json();
      assert.equal(doc.openapi, '3.0.3');
      assert.ok(doc.paths['/api/system'], 'the OpenAPI document lists /api/system');

      assert.equal((await app.inject('/metrics')).statusCode, 401, 'metrics need system.read');
      const metrics = await app.inject({ url: '/metrics', headers });
      assert.match(metrics.headers['content-type'] as string, /text\/plain/);
      assert.match(
        metrics.body,
        /crosswalk_http_requests_total\{method="GET",route="\/readyz",status="200"\} 1/,
      );
      assert.match(metrics.body, /crosswalk_ready 1/);

      const missing = await app.inject('/api/nothing-here?mrn=12345');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'CW_ERR_API_NOT_FOUND');
      assert.ok(!missing.body.includes('12345'), 'query strings are not echoed');
      assert.ok(lines.length > 0 && lines.every((l) => !l.includes('12345')), 'query strings are not logged');
    } finally {
      await app.close();
    }
  });
});

eachEngine('messages API', (engine) => {
  test('lists messages, shows one as a tree with positions, and answers bad ids with a coded 4xx', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const inbox = new Inbox({ repository: new InboxRepository(store) });
    const raw = Buffer.from(
      'MSH|^~\\&|EPIC|HRMC|||20261124||DFT^P03|API1|P|2.5\rFT1|1|||||SU|S-1^Gauze||""|2\r',
    );
    await inbox.receive(raw, { name: 'api-test' });
    await inbox.receive(Buffer.from('garbage'), { name: 'api-test' });
    const { logger } = quietLogger();
    const { headers } = await userWithToken(store, 'eng', ['integration_engineer']);
    const get = (url: string) => app.inject({ url, headers });
    const app = await buildApp({
      store,
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      version: '1',
    });
    try {
      const list = await get('/api/messages?limit=10');
      assert.equal(list.statusCode, 200);
      const [m] = list.json();
      assert.equal(m.controlId, 'API1');
      assert.equal(m.ackCode, 'AA');
      const one = (await get(`/api/messages/${m.id}`)).json();
      const ft1 = one.segments.find((s: { segment: string }) => s.segment === 'FT1');
      assert.deepEqual(
        ft1.fields.find((f: { position: string }) => f.position === 'FT1-7.2'),
        { position: 'FT1-7.2', value: 'Gauze' },
      );
      assert.equal((await get('/api/messages/rejections')).json()[0].reasonCode, 'CW_ERR_HL7_NO_MSH');
      const missing = await get('/api/messages/999999');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'CW_ERR_API_NOT_FOUND');
      const bad = await get('/api/messages/abc');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'CW_ERR_API_BAD_REQUEST');
      const badLimit = await get('/api/messages?limit=0');
      assert.equal(badLimit.statusCode, 400);
      assert.match(badLimit.json().message, /limit/);
      const counts = (await get('/api/master-data')).json();
      assert.equal(counts.items, 0);
    } finally {
      await app.close();
    }
  });
});

test('secrets and patient-shaped keys are redacted from logs', () => {
  const { logger, lines } = quietLogger();
  logger.info(
    { password: 'p4ss', req: { headers: { authorization: 'Bearer abc' } }, patient: { mrn: 'MRN123' } },
    'x',
  );
  const out = lines.join('');
  for (const secret of ['p4ss', 'Bearer abc', 'MRN123']) assert.ok(!out.includes(secret), secret);
  assert.ok(out.includes('[redacted]'));
});
