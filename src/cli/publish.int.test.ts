/**
 * `crosswalk publish` through the real binaries, per engine: `serve` with an MLLP destination pointing at
 * a real MLLP listener in the test; `crosswalk publish items` and `publish charges --to` from another
 * process queue the masters, which the running deliverer sends as MFN^M16 and MFN^M04; bad input is one
 * line and a non-zero exit. Also: a ChargeItemDefinition POSTed to serve's /fhir is taken by the apply
 * stage, and `crosswalk messages show` and /api/messages/:id show that FHIR inbox row as JSON.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { tokenKeyFolder } from '../apply/testing.ts';
import { buildAck, formatHl7Timestamp, parseMessage, readHeader } from '../hl7v2/index.ts';
import { createMllpListener } from '../mllp/index.ts';
import { until } from '../mllp/test-peer.ts';
import { demoBooks, demoSystem } from '../outbox/testing.ts';
import { fetchToken, registerTestClient } from '../server/smart-testing.ts';
import { eachEngine } from '../store/test-engines.ts';
import { peopleAt } from '../store/test-identities.ts';
import { authedCli, killChildren, startServe } from './test-process.ts';

after(killChildren);

eachEngine('crosswalk publish', (engine) => {
  const keys = tokenKeyFolder();
  after(() => keys.remove());

  test('publish through the real binary to a real MLLP peer; a FHIR inbox row is processed and shown as JSON', async (t) => {
    const { store, url } = await engine.freshStore({ migrated: true });
    await demoBooks(store);
    const ehrClient = await registerTestClient(store, { clientId: 'ehr-fhir', scopes: 'system/*.write' });
    await store.close();

    const received: Buffer[] = [];
    const listener = createMllpListener({
      port: 0,
      onMessage: (p) => {
        received.push(Buffer.from(p));
        return buildAck(readHeader(p), {
          code: 'AA',
          controlId: `a${received.length}`,
          timestamp: formatHl7Timestamp(new Date()),
        }).encode();
      },
    });
    const { port } = await listener.listen();
    t.after(() => listener.close({ graceful: false }));

    const env = {
      CROSSWALK_DATABASE_URL: url,
      CROSSWALK_TOKEN_KEY_FILE: keys.keyFile,
      CROSSWALK_OUTBOX_POLL_MS: '100',
      CROSSWALK_OUTBOX_DESTINATIONS: JSON.stringify([
        {
          name: 'ehr',
          type: 'mllp',
          host: '127.0.0.1',
          port,
          sendingFacility: 'HRH',
          receivingApplication: 'EHR',
        },
      ]),
    };
    const cli = authedCli(() => env);
    const serve = await startServe(env);
    t.after(() => serve.stop());

    // A charge master line written through /fhir.
    const line = demoSystem().chargeMaster[0]!;
    const token = await fetchToken(`${serve.httpUrl}/fhir`, ehrClient, 'system/*.write');
    const posted = await fetch(`${serve.httpUrl}/fhir/ChargeItemDefinition`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        resourceType: 'ChargeItemDefinition',
        url: `https://ehr.example/cdm/${line.code}`,
        status: 'active',
        title: 'NEW TITLE FROM THE EHR',
        code: { coding: [{ system: 'https://ehr.example/cdm', code: line.code }] },
        propertyGroup: [{ priceComponent: [{ type: 'base', amount: { value: 12.5, currency: 'USD' } }] }],
      }),
    });
    assert.equal(posted.status, 201, await posted.text());
    // The apply stage takes the FHIR row (the demo release maps no facility to the FHIR source, so it
    // ends as a data-stewardship exception; publishing of applied master changes is tested in
    // outbox/publish.int.test.ts through MFN^M16).
    let reason = '';
    for (let i = 0; i < 100 && reason === ''; i++) {
      const ex = await cli(['exceptions', 'list', '--json']);
      reason = (JSON.parse(ex.stdout) as { reasonCode: string }[])[0]?.reasonCode ?? '';
      if (reason === '') await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(reason, 'CW_ERR_MAP_UNKNOWN_FACILITY');

    const pub = await cli(['publish', 'items', '--as', 'alice', '--json']);
    assert.equal(pub.code, 0, pub.stderr);
    const result = JSON.parse(pub.stdout) as { records: number; documents: string[]; destinations: string[] };
    assert.equal(result.records, demoSystem().items.length);
    assert.deepEqual(result.destinations, ['ehr']);
    await until(
      () =>
        received.filter((p) => parseMessage(p).get('MSH-9.2') === 'M16').length === result.documents.length,
      30_000,
      'every MFN^M16',
    );
    const m16 = received.filter((p) => parseMessage(p).get('MSH-9.2') === 'M16').map((p) => parseMessage(p));
    assert.deepEqual(
      m16.map((m) => m.get('MSH-10')),
      result.documents,
    );
    assert.equal(
      m16.reduce((n, m) => n + m.count('ITM'), 0),
      demoSystem().items.length,
    );

    const human = await cli(['publish', 'charges', '--to', 'ehr', '--as', 'alice']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^queued \d+ charge lines in \d+ documents for ehr\n$/);
    await until(
      () => received.filter((p) => parseMessage(p).get('MSH-9.2') === 'M04').length > 0,
      30_000,
      'the MFN^M04',
    );
    const m04 = parseMessage(received.find((p) => parseMessage(p).get('MSH-9.2') === 'M04')!);
    const first = [...demoSystem().chargeMaster].sort((a, b) => (a.code < b.code ? -1 : 1))[0]!;
    assert.equal(m04.get('CDM-1'), first.code);
    assert.equal(m04.get('CDM-3'), first.description);

    for (const [args, code] of [
      [['publish', 'charges', '--to', 'nope', '--as', 'alice'], 'CW_ERR_OUTBOX_UNKNOWN_DESTINATION'],
      [['publish', 'widgets', '--as', 'alice'], 'CW_ERR_CLI_USAGE'],
    ] as const) {
      const bad = await cli(args);
      assert.notEqual(bad.code, 0);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, new RegExp(code));
    }

    // The FHIR inbox row shows as JSON, not parsed as HL7.
    const list = await cli(['messages', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const row = (JSON.parse(list.stdout) as { id: string; messageType: string }[]).find(
      (r) => r.messageType === 'FHIR:ChargeItemDefinition',
    );
    assert.ok(row !== undefined, 'the FHIR write is in the inbox');
    const shown = await cli(['messages', 'show', String(row.id)]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /FHIR:ChargeItemDefinition/);
    assert.match(shown.stdout, /"resourceType": "ChargeItemDefinition"/);
    const api = await fetch(`${serve.httpUrl}/api/messages/${row.id}`, {
      headers: {
        authorization: `Bearer ${(await peopleAt(env['CROSSWALK_DATABASE_URL']!, ['api.reader']))['api.reader']}`,
      },
    });
    assert.equal(api.status, 200);
    const body = (await api.json()) as { format: string; envelope: { resource: { title: string } } };
    assert.equal(body.format, 'fhir');
    assert.equal(body.envelope.resource.title, 'NEW TITLE FROM THE EHR');
  });
});
