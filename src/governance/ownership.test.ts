import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_OWNERS,
  defaultRegistry,
  MASTER_KINDS,
  ownerOf,
  ownershipAt,
  systemOf,
} from './ownership.ts';

const reg = defaultRegistry([
  { source: 'application:HRH_ERP', system: 'ERP' },
  { source: 'interface:hr-feed', system: 'HR' },
  { source: 'sender:HRH_ERP|WCCH', system: 'EHR' },
]);

test('defaults: the ERP owns back-office kinds, the EHR clinical ones; every kind has one owner', () => {
  assert.deepEqual(
    MASTER_KINDS.map((k) => [k, ownerOf(reg, k, '2026-11-25T00:00:00.000Z')]),
    MASTER_KINDS.map((k) => [k, DEFAULT_OWNERS[k]]),
  );
  assert.equal(DEFAULT_OWNERS.item, 'ERP');
  assert.equal(DEFAULT_OWNERS.practitioner, 'EHR');
});

test('the most specific source rule wins; unknown sources are the default system', () => {
  const at = '2026-11-25T00:00:00.000Z';
  assert.equal(systemOf(reg, { sender: 'HRH_ERP|HRH' }, at), 'ERP', 'by application');
  assert.equal(systemOf(reg, { sender: 'HRH_ERP|WCCH' }, at), 'EHR', 'exact sender beats application');
  assert.equal(systemOf(reg, { sender: 'KRONOS|HRH', interfaceName: 'hr-feed' }, at), 'HR', 'by interface');
  assert.equal(systemOf(reg, { sender: 'EPIC|HRH', interfaceName: 'mllp' }, at), 'EHR', 'default');
  assert.equal(systemOf(reg, { sender: 'fhir', interfaceName: 'fhir' }, at), 'EHR', 'FHIR is the EHR side');
});

test('effective-dated: a change applies from its instant, earlier decisions stand', () => {
  const changed = {
    ...reg,
    owners: [
      ...reg.owners,
      {
        kind: 'item' as const,
        system: 'EHR',
        effectiveFrom: '2026-11-25T12:00:00.000Z',
        setBy: 'dana',
        setAt: '2026-11-25T11:00:00.000Z',
        id: 99,
      },
    ],
  };
  assert.equal(ownerOf(changed, 'item', '2026-11-25T11:59:59.999Z'), 'ERP');
  assert.equal(ownerOf(changed, 'item', '2026-11-25T12:00:00.000Z'), 'EHR');
  const now = ownershipAt(changed, '2026-11-26T00:00:00.000Z');
  assert.deepEqual(
    now.owners.find((o) => o.kind === 'item'),
    {
      kind: 'item',
      system: 'EHR',
      since: '2026-11-25T12:00:00.000Z',
      setBy: 'dana',
    },
  );
  assert.equal(now.sources.length, 4);
});
