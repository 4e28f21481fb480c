import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  activate,
  activeRelease,
  addRelease,
  approve,
  contentFromJson,
  contentHash,
  contentToJson,
  createRelease,
  diffReleases,
  emptyHistory,
  type ReleaseContent,
  rollback,
  updateRelease,
} from './index.ts';
import { codeOf, OPEN, smallContent } from './testing.ts';

/** The same value with every object's keys in a random order. */
function shuffleKeys(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).sort(() => rnd() - 0.5);
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rnd)]));
}

test('the release id is independent of key order and of row order', () => {
  const id = contentHash(smallContent());
  assert.match(id, /^[0-9a-f]{64}$/);
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      let s = seed >>> 0;
      const rnd = () => {
        s = (s * 1103515245 + 12345) >>> 0;
        return s / 2 ** 32;
      };
      const shuffled = shuffleKeys(smallContent(), rnd) as ReleaseContent;
      const reordered = { ...shuffled, items: [...shuffled.items].reverse() };
      assert.equal(contentHash(reordered), id);
    }),
    { numRuns: 50, seed: 7 },
  );
  const changed = smallContent();
  const price = { ...changed.chargeMaster[0]!, price: 101n };
  assert.notEqual(contentHash({ ...changed, chargeMaster: [price] }), id, 'any value changes the id');
  assert.equal(createRelease(smallContent(), 'ann').id, id);
});

test('approval by the author is refused; another person approves once', () => {
  const r = createRelease(smallContent(), 'Ann Lee');
  assert.equal(r.status, 'proposed');
  assert.match(
    codeOf(() => approve(r, 'Ann Lee')),
    /^CW_ERR_MAP_SELF_APPROVAL .*proposed by Ann Lee/,
  );
  assert.match(
    codeOf(() => approve(r, ' ann lee ')),
    /^CW_ERR_MAP_SELF_APPROVAL/,
  );
  const ok = approve(r, 'Bo Chen');
  assert.equal(ok.status, 'approved');
  assert.equal(ok.approver, 'Bo Chen');
  assert.equal(r.status, 'proposed', 'releases are immutable values');
  assert.match(
    codeOf(() => approve(ok, 'Cy Diaz')),
    /^CW_ERR_MAP_BAD_TRANSITION .*is approved/,
  );
  assert.ok(Object.isFrozen(ok) && Object.isFrozen(ok.content.items));
});

test('activation supersedes the active release and rollback re-activates the previous one', () => {
  const a = approve(createRelease(smallContent(), 'ann'), 'bo');
  const b = approve(createRelease({ ...smallContent(), name: 'small v2' }, 'ann'), 'bo');
  const proposed = createRelease({ ...smallContent(), name: 'small v3' }, 'ann');
  let h = addRelease(addRelease(addRelease(emptyHistory(), a), b), proposed);
  assert.equal(activeRelease(h), null);
  assert.match(
    codeOf(() => rollback(h)),
    /^CW_ERR_MAP_NO_ROLLBACK/,
  );
  assert.match(
    codeOf(() => activate(h, proposed.id)),
    /^CW_ERR_MAP_BAD_TRANSITION .*is proposed/,
  );
  h = activate(h, a.id);
  h = activate(h, b.id);
  const status = (id: string) => h.releases.find((r) => r.id === id)?.status;
  assert.equal(activeRelease(h)?.id, b.id);
  assert.equal(status(a.id), 'superseded');
  h = rollback(h);
  assert.equal(activeRelease(h)?.id, a.id);
  assert.equal(status(b.id), 'superseded');
  h = rollback(h);
  assert.equal(activeRelease(h)?.id, b.id, 'rolling back a rollback returns to where we were');
  h = updateRelease(h, approve(proposed, 'bo'));
  h = activate(h, proposed.id);
  assert.deepEqual(
    h.releases.map((r) => r.status),
    ['superseded', 'superseded', 'active'],
  );
  assert.match(
    codeOf(() => addRelease(h, a)),
    /^CW_ERR_MAP_BAD_TRANSITION/,
  );
  assert.match(
    codeOf(() => activate(h, 'f'.repeat(64))),
    /^CW_ERR_MAP_UNKNOWN_RELEASE/,
  );
});

test('invalid content is refused with the table, row and field named', () => {
  const c = smallContent();
  const bad = (patch: Partial<Record<keyof ReleaseContent, unknown>>) =>
    codeOf(() => createRelease({ ...c, ...patch } as ReleaseContent, 'ann'));
  assert.match(
    bad({ practitioners: [{ npi: '123', employeeCode: 'E1', ...OPEN }] }),
    /practitioners\[0\]\.npi must be a 10-digit NPI/,
  );
  assert.match(
    bad({ items: [c.items[0], { ...c.items[0], effectiveFrom: '2026-01-01' }] }),
    /items has overlapping rows for ehrSupplyCode = 7000001/,
  );
  assert.match(bad({ items: [{ ...c.items[0], effectiveTo: '2026-02-30' }] }), /items\[0\]\.effectiveTo/);
  assert.match(bad({ items: [{ ...c.items[0], colour: 'blue' }] }), /items\[0\]\.colour is not a column/);
  assert.match(bad({ timeZone: 'Mars/Olympus' }), /timeZone Mars\/Olympus is not an IANA time zone/);
  assert.match(
    bad({ fieldRules: { ...c.fieldRules, transactionTypes: { SU: 'use' } } }),
    /fieldRules\.transactionTypes\.SU must be one of/,
  );
  assert.match(
    bad({ fieldRules: { ...c.fieldRules, chargeCodePaths: ['PID-3'] } }),
    /must be an FT1 position/,
  );
  assert.match(
    bad({ accountDetermination: [{ ...c.accountDetermination[0], eventType: 'Sold' }] }),
    /eventType/,
  );
  assert.match(
    codeOf(() => createRelease(c, '  ')),
    /author must be a non-empty name/,
  );
  assert.match(bad({ ledger: [] } as never), /ledger is not part of a release/);
});

test('diffReleases lists rows added, removed and changed per table, and settings', () => {
  const a = smallContent();
  const b: ReleaseContent = {
    ...a,
    timeZone: 'America/Chicago',
    fieldRules: {
      ...a.fieldRules,
      transactionTypes: { ...a.fieldRules.transactionTypes, SW: 'usage', XX: 'usage' },
    },
    items: [
      { ...a.items[0]!, description: 'GLOVE EXAM NITRILE MEDIUM' },
      { ...a.items[0]!, ehrSupplyCode: '7000003', itemCode: '100003' },
    ],
  };
  const d = diffReleases(createRelease(a, 'ann'), createRelease(b, 'ann'));
  assert.equal(d.identical, false);
  assert.deepEqual(
    d.tables.items.added.map((r) => r.ehrSupplyCode),
    ['7000003'],
  );
  assert.deepEqual(
    d.tables.items.removed.map((r) => r.ehrSupplyCode),
    ['7000002'],
  );
  assert.equal(d.tables.items.changed.length, 1);
  assert.equal(d.tables.items.changed[0]?.after.description, 'GLOVE EXAM NITRILE MEDIUM');
  assert.deepEqual(d.tables.departments, { added: [], removed: [], changed: [] });
  assert.deepEqual(
    d.settings.map((s) => [s.setting, s.before, s.after]),
    [
      ['fieldRules.transactionTypes.SW', 'waste', 'usage'],
      ['fieldRules.transactionTypes.XX', null, 'usage'],
      ['timeZone', 'America/New_York', 'America/Chicago'],
    ],
  );
  assert.equal(diffReleases(a, smallContent()).identical, true);
});

test('content round-trips through its canonical JSON, money included', () => {
  const json = contentToJson(smallContent());
  assert.match(json, /"price":"100"/);
  const back = contentFromJson(json);
  assert.equal(back.chargeMaster[0]?.price, 100n);
  assert.equal(contentHash(back), contentHash(smallContent()));
  assert.match(
    codeOf(() => contentFromJson('{')),
    /^CW_ERR_MAP_INVALID_RELEASE .*not JSON/,
  );
});
