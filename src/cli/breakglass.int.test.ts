/**
 * `crosswalk breakglass` and `crosswalk sod report` through the real binary, per engine: a use is a
 * grant with a reason and an expiry, a security exception, an audit record and an alert line without
 * the reason; refusals (too long, no reason, a security_admin into a business role, a review of one's
 * own use, a second review); the report's exit code gates on unreviewed uses and on conflicts written
 * straight into the database (a standing grant joining security_admin and finance, a release and a
 * message revision approved by their own author under another spelling), and names the checks it
 * skipped because their tables do not exist.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { tokensAt } from '../store/test-identities.ts';
import { asTokenUser, killChildren, runCli } from './test-process.ts';

after(killChildren);

const AT = '2026-11-01T09:00:00.000Z';

eachEngine('crosswalk breakglass and sod report', (engine) => {
  test('open, refuse, list, review; the report gates on conflicts', async () => {
    const env = {
      CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }),
      CROSSWALK_BREAKGLASS_MAX_MINUTES: '45',
    };
    let tokens: Record<string, string> = {};
    // The person `--as` names runs the command with their own API token (rita, the auditor, by default).
    const run = (given: string[]) => {
      const { args, env: token } = asTokenUser(tokens, 'rita')(given);
      return runCli(args, { ...env, ...token });
    };
    const sql = async (fn: (s: Awaited<ReturnType<typeof openStore>>) => Promise<void>) => {
      const store = await openStore(env.CROSSWALK_DATABASE_URL);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };
    assert.equal((await run(['migrate'])).code, 0);
    tokens = await tokensAt(env.CROSSWALK_DATABASE_URL, {
      // ann also audits: her own use is then refused by the self-review rule, not by the matrix.
      ann: ['finance', 'auditor'],
      sam: ['security_admin'],
      rita: ['auditor'],
    });

    const clean = await run(['sod', 'report']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /no segregation-of-duties conflict/);
    assert.doesNotMatch(clean.stdout, /skipped/, 'every check ran');

    const reason = 'month-end close: controller out sick, journal 7731 must post tonight';
    const opened = await run([
      'breakglass',
      'open',
      '--role',
      'controller',
      '--reason',
      reason,
      '--minutes',
      '30',
      '--as',
      'ann',
      '--json',
    ]);
    assert.equal(opened.code, 0, opened.stderr);
    const use = JSON.parse(opened.stdout) as {
      id: string;
      user: string;
      role: string;
      from: string;
      until: string;
    };
    assert.deepEqual([use.user, use.role], ['ann', 'controller']);
    assert.equal(Date.parse(use.until) - Date.parse(use.from), 30 * 60_000);
    assert.match(opened.stderr, /"code":"CW_ERR_BREAKGLASS_OPENED"/, 'the alert is logged');
    assert.equal(opened.stderr.includes('7731'), false, 'the reason stays out of the log');

    const refusals: [string[], number, RegExp][] = [
      [
        ['--role', 'controller', '--reason', 'x', '--minutes', '46', '--as', 'ann'],
        1,
        /CW_ERR_BREAKGLASS_TOO_LONG/,
      ],
      [['--role', 'controller', '--reason', '  ', '--as', 'ann'], 1, /CW_ERR_BREAKGLASS_NO_REASON/],
      [
        ['--role', 'finance', '--reason', 'x', '--as', 'sam'],
        1,
        /sam holds security_admin.*\[CW_ERR_BREAKGLASS_SOD\]/,
      ],
      [['--role', 'security_admin', '--reason', 'x', '--as', 'ann'], 1, /CW_ERR_BREAKGLASS_SOD/],
      [['--role', 'service', '--reason', 'x', '--as', 'ann'], 1, /CW_ERR_BREAKGLASS_BAD_ROLE/],
      [['--role', 'controller', '--reason', 'x', '--as', 'nobody'], 1, /CW_ERR_AUTH_REQUIRED/],
      [['--role', 'controller', '--as', 'ann'], 2, /reason/],
    ];
    for (const [args, code, message] of refusals) {
      const r = await run(['breakglass', 'open', ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }

    const waiting = await run(['breakglass', 'list']);
    assert.match(
      waiting.stdout,
      new RegExp(`${use.id}\\s+ann\\s+controller\\s+.*not reviewed\\s+month-end close`),
    );
    const gated = await run(['sod', 'report', '--json']);
    assert.equal(gated.code, 1, 'an unreviewed use is a conflict');
    const g = JSON.parse(gated.stdout) as { conflicts: { kind: string; person: string; object: string }[] };
    assert.deepEqual(
      g.conflicts.map((c) => [c.kind, c.person, c.object]),
      [['break_glass_unreviewed', 'ann', `role_grant:${use.id}`]],
    );

    const self = await run(['breakglass', 'review', use.id, '--note', 'fine', '--as', ' ANN']);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /CW_ERR_BREAKGLASS_SELF_REVIEW/);
    const reviewed = await run([
      'breakglass',
      'review',
      use.id,
      '--note',
      'journal 7731 checked',
      '--as',
      'rita',
    ]);
    assert.equal(reviewed.code, 0, reviewed.stderr);
    const twice = await run(['breakglass', 'review', use.id, '--note', 'again', '--as', 'sam']);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already reviewed by rita \[CW_ERR_BREAKGLASS_REVIEWED\]/);
    assert.match((await run(['breakglass', 'list'])).stdout, /no break-glass use waits for review/);
    assert.match((await run(['breakglass', 'list', '--all'])).stdout, /ann\s+controller.*rita 20/);

    await sql(async (s) => {
      const [x] = await s.query(
        "SELECT team, status, summary, evidence FROM exceptions WHERE reason_code = 'CW_ERR_BREAKGLASS_OPENED'",
      );
      assert.equal(x?.['team'], 'security');
      assert.equal(x?.['status'], 'open');
      assert.equal(String(x?.['summary']).includes('7731'), false, 'the summary carries no free text');
      const evidence =
        typeof x?.['evidence'] === 'string' ? JSON.parse(String(x['evidence'])) : x?.['evidence'];
      assert.equal(evidence.reason, reason);
      const audit = await s.query(
        "SELECT actor, action FROM audit_log WHERE action LIKE 'breakglass.%' ORDER BY seq",
      );
      assert.deepEqual(
        audit.map((r) => `${r['actor']} ${r['action']}`),
        ['ann breakglass.open', 'rita breakglass.review'],
      );
    });
    assert.equal((await run(['sod', 'report'])).code, 0, 'reviewed: no conflict left');

    // Conflicts written straight into the database, around every application check.
    await sql(async (s) => {
      await s.execute(
        "INSERT INTO role_grants (user_name, role, granted_by, granted_at) VALUES ('sam', 'finance', 'dba', ?)",
        [AT],
      );
      await s.execute(
        `INSERT INTO mapping_releases (id, label, author, proposed_at, approved_by, approved_at, content)
         VALUES ('rel-self', 'self-approved', 'ann', ?, 'ANN ', ?, '{}')`,
        [AT, AT],
      );
      await s.execute(
        `INSERT INTO inbound_messages (interface_name, ordering_key, sender, control_id, message_type, received_at,
           content_sha256, size_bytes, raw, ack, ack_code) VALUES ('mllp', 'mllp', 'EHR', 'c1', 'DFT^P03', ?, 'h', 1, ?, ?, 'AA')`,
        [AT, Buffer.from('x'), Buffer.from('a')],
      );
      const [m] = await s.query('SELECT id FROM inbound_messages');
      const [x] = await s.query(
        `INSERT INTO exceptions (reason_code, team, status, message_id, summary, evidence, created_at, updated_at)
         VALUES ('CW_ERR_HL7_PARSE', 'integration', 'open', ?, 's', '{}', ?, ?) RETURNING id`,
        [m!['id'] as number, AT, AT],
      );
      // The table's own check compares trimmed, case-folded names; drop it, as a careless migration could.
      if (s.capabilities.dialect === 'sqlite') await s.executeScript('PRAGMA ignore_check_constraints = ON');
      else {
        await s.executeScript(`DO $$ DECLARE c text; BEGIN
          FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'message_revisions'::regclass AND contype = 'c'
            AND pg_get_constraintdef(oid) LIKE '%decided_by%edited_by%' LOOP
            EXECUTE 'ALTER TABLE message_revisions DROP CONSTRAINT ' || quote_ident(c);
          END LOOP; END $$`);
      }
      await s.execute(
        `INSERT INTO message_revisions (message_id, exception_id, raw, content_sha256, edits, needs_approval,
           edited_by, edited_at, status, decided_by, decided_at) VALUES (?, ?, ?, 'h', '[]', ?, 'rita', ?, 'approved', 'rita', ?)`,
        [m!['id'] as number, x!['id'] as number, Buffer.from('y'), true, AT, AT],
      );
      // A manual journal approved by its preparer, the four-eyes trigger bypassed.
      await s.transaction(async (tx) => {
        if (tx.capabilities.dialect === 'sqlite')
          await tx.executeScript('DROP TRIGGER manual_journal_decisions_four_eyes');
        else await tx.execute("SET LOCAL session_replication_role = 'replica'");
        await tx.execute(
          `INSERT INTO manual_journal_proposals (id, description, prepared_by, prepared_at, content_sha256, line_count)
           VALUES ('mj_self', 'self', 'ann', ?, 'h', 2)`,
          [AT],
        );
        // The decision row even names someone else as preparer: the report reads the proposal's.
        await tx.execute(
          `INSERT INTO manual_journal_decisions (proposal_id, decision, decided_by, decided_at, prepared_by, entry_ids)
           VALUES ('mj_self', 'approved', 'Ann', ?, 'bob', '[]')`,
          [AT],
        );
      });
    });
    const report = await run(['sod', 'report', '--json']);
    assert.equal(report.code, 1, report.stderr);
    const r = JSON.parse(report.stdout) as {
      conflicts: { kind: string; person: string; object: string; detail: string }[];
      skipped: { check: string }[];
    };
    assert.deepEqual(
      r.conflicts.map((c) => [c.kind, c.person, c.object]),
      [
        ['security_admin_with_business_role', 'sam', 'user:sam'],
        ['release_authored_and_approved', 'ann', 'release:rel-self'],
        ['revision_edited_and_approved', 'rita', r.conflicts[2]?.object ?? '?'],
        ['journal_prepared_and_approved', 'ann', 'manual_journal:mj_self'],
      ],
    );
    assert.match(r.conflicts[0]!.detail, /security_admin \(grant \d+\) and finance \(grant \d+\)/);
    assert.match(r.conflicts[1]!.detail, /authored by "ann" and approved by "ANN ": the same person/);
    assert.deepEqual(r.skipped, []);
  });
});
