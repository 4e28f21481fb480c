import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRORS, isCrosswalkError, TEAM_SLA_HOURS } from '../errors/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import {
  afterReplay,
  allowedActions,
  applyEdits,
  checkApprover,
  decide,
  dueAt,
  type ExceptionState,
  isOverdue,
  needsApproval,
  parseEdit,
  reasonOf,
  reasons,
} from './index.ts';

const AT = '2026-11-25T12:00:00.000Z';
const open: ExceptionState = {
  id: 7n,
  reasonCode: 'CW_ERR_MAP_UNMAPPED_ITEM',
  status: 'open',
  assignee: null,
  createdAt: '2026-11-24T12:00:00.000Z',
  dueAt: null,
};

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return isCrosswalkError(e) ? e.code : `not a CrosswalkError: ${String(e)}`;
  }
  return 'no error';
};

test('the reason view is the error registry: team, template, retryable and SLA per code', () => {
  const r = reasonOf('CW_ERR_MAP_UNMAPPED_ITEM');
  assert.deepEqual(r, {
    code: 'CW_ERR_MAP_UNMAPPED_ITEM',
    known: true,
    team: 'supply-chain',
    messageTemplate: ERRORS.CW_ERR_MAP_UNMAPPED_ITEM.message,
    retryable: false,
    slaHours: 24,
  });
  assert.equal(reasonOf('CW_ERR_LEDGER_PERIOD_CLOSED').slaHours, 8, 'a code can name its own SLA');
  assert.equal(reasonOf('CW_ERR_LEDGER_NO_RULE').slaHours, TEAM_SLA_HOURS.finance, 'else its team default');
  const unknown = reasonOf('CW_ERR_FUTURE_THING');
  assert.equal(unknown.known, false);
  assert.equal(unknown.team, 'integration', 'an unknown code still has an owner');
  assert.equal(reasons().length, Object.keys(ERRORS).length);
  for (const x of reasons())
    assert.ok(x.slaHours > 0 && Number.isInteger(x.slaHours), `${x.code} has an SLA`);
});

test('open → assigned → resolved; ignoring needs a reason; ended exceptions take comments only', () => {
  const a = decide(open, { kind: 'assign', assignee: 'Sam' }, 'ann', AT);
  assert.equal(a.status, 'assigned');
  assert.equal(a.assignee, 'Sam');
  assert.deepEqual(a.entry, {
    kind: 'assigned',
    actor: 'ann',
    at: AT,
    fromStatus: 'open',
    toStatus: 'assigned',
    note: null,
    details: { assignee: 'Sam', previousAssignee: null },
  });
  const assigned = { ...open, status: a.status, assignee: a.assignee };
  const r = decide(assigned, { kind: 'resolve', note: 'mapped in release 2026-12' }, 'sam', AT);
  assert.equal(r.status, 'resolved');
  assert.equal(r.resolution, 'mapped in release 2026-12');
  assert.equal(
    codeOf(() => decide(open, { kind: 'ignore', reason: '  ' }, 'ann', AT)),
    'CW_ERR_EXCEPTION_INPUT',
  );
  const i = decide(open, { kind: 'ignore', reason: 'test message from the vendor' }, 'ann', AT);
  assert.equal(i.status, 'ignored');
  assert.equal(i.resolution, 'test message from the vendor');
  const ended = { ...open, status: 'resolved' as const };
  assert.deepEqual(allowedActions('resolved'), ['comment']);
  assert.equal(decide(ended, { kind: 'comment', text: 'checked again' }, 'ann', AT).status, 'resolved');
  for (const cmd of [
    { kind: 'assign', assignee: 'x' },
    { kind: 'resolve' },
    { kind: 'ignore', reason: 'r' },
  ] as const) {
    assert.equal(
      codeOf(() => decide(ended, cmd, 'ann', AT)),
      'CW_ERR_EXCEPTION_BAD_TRANSITION',
      cmd.kind,
    );
  }
  assert.equal(
    codeOf(() => decide(open, { kind: 'comment', text: 'hi' }, ' ', AT)),
    'CW_ERR_EXCEPTION_INPUT',
  );
});

test('a replay that applies resolves; one that still fails keeps the status and says why', () => {
  const ok = afterReplay(
    open,
    { kind: 'applied', releaseId: 'abcdef0123456789', events: 2, entries: 3, revisionId: null },
    'ann',
    AT,
  );
  assert.equal(ok.status, 'resolved');
  assert.equal(ok.entry.kind, 'replayed');
  assert.equal(ok.entry.details['entries'], 3);
  const still = afterReplay(
    { ...open, status: 'assigned', assignee: 'sam' },
    {
      kind: 'failed',
      releaseId: 'abcdef',
      code: 'CW_ERR_MAP_UNMAPPED_ITEM',
      message: 'still unmapped',
      revisionId: 4n,
    },
    'ann',
    AT,
  );
  assert.equal(still.status, 'assigned');
  assert.equal(still.assignee, 'sam');
  assert.equal(still.entry.kind, 'replay-failed');
  assert.equal(still.entry.details['revision'], '4');
  assert.equal(
    codeOf(() =>
      afterReplay(
        { ...open, status: 'ignored' },
        { kind: 'skipped', releaseId: 'r', code: 'c', revisionId: null },
        'a',
        AT,
      ),
    ),
    'CW_ERR_EXCEPTION_BAD_TRANSITION',
  );
});

test('due = raised + the reason SLA unless set; only waiting exceptions are overdue', () => {
  assert.equal(dueAt(open), '2026-11-25T12:00:00.000Z', 'supply chain: 24 h');
  assert.equal(dueAt({ ...open, dueAt: '2026-12-01T00:00:00.000Z' }), '2026-12-01T00:00:00.000Z');
  assert.equal(isOverdue(open, new Date('2026-11-25T11:59:59Z')), false);
  assert.equal(isOverdue(open, new Date('2026-11-25T12:00:01Z')), true);
  assert.equal(isOverdue({ ...open, status: 'resolved' }, new Date('2027-01-01T00:00:00Z')), false);
});

const DFT = [
  'MSH|^~\\&|EHR|HRMC|CW|HRMC|20261124101500||DFT^P03|CTL1|P|2.5.1',
  'EVN|P03|20261124101500',
  'PID|1||MRN1^^^HRMC^MR||Doe^Jane',
  'PV1|1|I|OR^01^A^HRMC',
  'FT1|1|||20261124101000||SU|1000123^Gauze|||3|||OR',
  'FT1|2|||20261124101000||SU|1000456^Gloves|||1|||OR',
].join('\r');

test('edits: FT1 and PV1-3 are financial, MSH is refused, the original bytes stay untouched', () => {
  const raw = Buffer.from(DFT);
  const before = Buffer.from(raw);
  const edited = applyEdits(raw, [parseEdit('FT1[2]-10=4'), parseEdit('PID-5.1=Roe')]);
  assert.deepEqual(raw, before, 'the input is not modified');
  const m = parseMessage(edited);
  assert.equal(m.get('FT1[2]-10'), '4');
  assert.equal(m.get('FT1-10'), '3', 'the first FT1 is unchanged');
  assert.equal(m.get('MSH-10'), 'CTL1');
  assert.equal(needsApproval([parseEdit('FT1-10=2')]), true);
  assert.equal(needsApproval([parseEdit('PV1-3.1=ICU')]), true);
  assert.equal(needsApproval([parseEdit('PID-5.1=Roe')]), false);
  assert.equal(
    codeOf(() => parseEdit('MSH-10=X')),
    'CW_ERR_EXCEPTION_BAD_EDIT',
  );
  assert.equal(
    codeOf(() => parseEdit('FT1-10')),
    'CW_ERR_EXCEPTION_BAD_EDIT',
  );
  assert.equal(
    codeOf(() => parseEdit('XX-1=2')),
    'CW_ERR_EXCEPTION_BAD_EDIT',
  );
  assert.equal(
    codeOf(() => applyEdits(raw, [parseEdit('FT1[3]-10=1')])),
    'CW_ERR_EXCEPTION_BAD_EDIT',
    'no third FT1',
  );
  assert.equal(
    codeOf(() => applyEdits(raw, [parseEdit('FT1-10=a\rb')])),
    'CW_ERR_EXCEPTION_BAD_EDIT',
  );
  assert.equal(parseMessage(applyEdits(raw, [parseEdit('FT1-7.2=A|B')])).get('FT1-7.2'), 'A|B', 'escaped');
});

test('the approver of an edit is someone other than its editor', () => {
  assert.equal(
    codeOf(() => checkApprover(1n, 'Ann', ' ann ')),
    'CW_ERR_EXCEPTION_SELF_APPROVAL',
  );
  assert.equal(
    codeOf(() => checkApprover(1n, 'Ann', '')),
    'CW_ERR_EXCEPTION_INPUT',
  );
  assert.equal(checkApprover(1n, 'Ann', 'Bob'), 'Bob');
});

test('the teams migration 0005 gives inbox refusals agree with the registry', async () => {
  const { REJECTION_TEAMS } = await import('../store/migrations/0005-exceptions.ts');
  for (const [code, d] of Object.entries(ERRORS)) {
    if (!/^CW_ERR_(HL7|MLLP|INBOX)_/.test(code)) continue;
    assert.equal(REJECTION_TEAMS[code] ?? 'integration', d.team, code);
  }
});
