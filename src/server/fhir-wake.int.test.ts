/**
 * A FHIR write that reaches the inbox calls AppDeps.onStored (the runtime's wake-up of the apply stage),
 * and /api/messages/:id shows such a row as its JSON envelope instead of parsing it as HL7; per engine.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, Metrics } from '../observe/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { buildApp } from './app.ts';
import { authorizedFhir } from './smart-testing.ts';

eachEngine('FHIR writes wake the apply stage', (engine) => {
  test('onStored after a stored write, not after a read; the inbox row shows as JSON', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    t.after(() => store.close());
    let woken = 0;
    const app = await buildApp({
      store,
      logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 'test',
      onStored: () => {
        woken++;
      },
    });
    t.after(() => app.close());
    const fhir = await authorizedFhir(app, store);
    const res = await fhir.inject({
      method: 'POST',
      url: '/fhir/ChargeItemDefinition',
      headers: { 'content-type': 'application/fhir+json' },
      payload: { resourceType: 'ChargeItemDefinition', url: 'https://ehr.example/cdm/1', status: 'active' },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(woken, 1);
    await fhir.inject('/fhir/ChargeItemDefinition');
    assert.equal(woken, 1, 'a read wakes nobody');

    const { headers } = await userWithToken(store, 'eng', ['integration_engineer']);
    const list = (await app.inject({ url: '/api/messages', headers })).json() as {
      id: string;
      messageType: string;
    }[];
    const row = list.find((m) => m.messageType === 'FHIR:ChargeItemDefinition');
    assert.ok(row !== undefined, 'the write has an inbox row');
    const shown = await app.inject({ url: `/api/messages/${row.id}`, headers });
    assert.equal(shown.statusCode, 200, shown.body);
    const body = shown.json() as {
      format: string;
      answer: { status: string };
      envelope: { resource: { url: string } };
    };
    assert.equal(body.format, 'fhir');
    assert.match(body.answer.status, /^201/);
    assert.equal(body.envelope.resource.url, 'https://ehr.example/cdm/1');
  });
});
