import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Dialect, Migration } from '../port.ts';

/**
 * The exception work-queue and the invariant checker's seals.
 *
 * - exceptions gain who has it (assignee), an explicit due date (null: raised + the reason's SLA from the
 *   error registry, computed when read, so an SLA change applies to what is already queued), and how it
 *   ended (resolved_at/by, resolution: what fixed it or why it is ignored).
 * - exception_history: every action and replay outcome, append-only. The raising itself is the
 *   exception row (created_at); a recurrence of an open one counts occurrences there.
 * - message_revisions: a person's corrected version of a failed message, linked to the stored raw
 *   message and to the revision it was made from, never overwriting either. An edit of financial fields
 *   waits for someone other than its editor to approve it; once decided, a revision cannot change.
 * - inbound_rejections become exceptions in the same transaction that records them (a trigger), so a
 *   refused message is a work item whatever code path refused it: one open exception per reason,
 *   interface and sender, counting its occurrences, as stock flags do (no alert floods).
 * - integrity_seals: what the invariant checker saw (row counts and digests of append-only tables) when
 *   someone sealed it, to prove later that nothing was removed or rewritten since.
 */

/**
 * The owning team of a refusal, for the codes the inbox refuses with. It mirrors the error registry
 * (a test holds them equal); a code not listed is the integration team's, as the registry says for
 * every HL7, MLLP and inbox code but these.
 */
export const REJECTION_TEAMS: Readonly<Record<string, string>> = {
  CW_ERR_INBOX_STORE_FAILED: 'operations',
  CW_ERR_MLLP_NOT_ALLOWED: 'security',
};

const teamCase = (code: string) =>
  `CASE ${code} ${Object.entries(REJECTION_TEAMS)
    .map(([c, t]) => `WHEN '${c}' THEN '${t}'`)
    .join(' ')} ELSE 'integration' END`;

function rejectionExceptions(d: Dialect): string {
  const subject = (r: string) => `'inbox:' || ${r}.interface_name || ':' || COALESCE(${r}.sender, '?')`;
  if (d === 'sqlite') {
    const evidence = (r: string, first: string) => `json_object(
        'source', 'inbox-rejection', 'firstRejectionId', ${first}, 'lastRejectionId', ${r}.id,
        'interface', ${r}.interface_name, 'sender', ${r}.sender, 'controlId', ${r}.control_id,
        'messageType', ${r}.message_type, 'contentSha256', ${r}.content_sha256,
        'existingMessageId', ${r}.existing_message_id)`;
    return `
      INSERT INTO exceptions (reason_code, team, status, subject, occurrences, summary, evidence, created_at, updated_at)
      SELECT r.reason_code, ${teamCase('r.reason_code')}, 'open', ${subject('r')}, g.n,
             'refused at the inbox: ' || r.reason, ${evidence('r', 'g.first_id')}, g.first_at, r.received_at
      FROM (SELECT MIN(id) AS first_id, MAX(id) AS last_id, COUNT(*) AS n, MIN(received_at) AS first_at
            FROM inbound_rejections GROUP BY reason_code, interface_name, sender) g
      JOIN inbound_rejections r ON r.id = g.last_id;
      CREATE TRIGGER inbound_rejections_exception AFTER INSERT ON inbound_rejections
      BEGIN
        UPDATE exceptions SET occurrences = occurrences + 1, updated_at = NEW.received_at,
               evidence = json_set(evidence, '$.lastRejectionId', NEW.id, '$.controlId', NEW.control_id,
                                   '$.messageType', NEW.message_type, '$.contentSha256', NEW.content_sha256,
                                   '$.existingMessageId', NEW.existing_message_id)
        WHERE id = (SELECT MIN(id) FROM exceptions WHERE reason_code = NEW.reason_code
                    AND subject = ${subject('NEW')} AND status IN ('open', 'assigned'));
        INSERT INTO exceptions (reason_code, team, status, subject, occurrences, summary, evidence, created_at, updated_at)
        SELECT NEW.reason_code, ${teamCase('NEW.reason_code')}, 'open', ${subject('NEW')}, 1,
               'refused at the inbox: ' || NEW.reason, ${evidence('NEW', 'NEW.id')}, NEW.received_at, NEW.received_at
        WHERE NOT EXISTS (SELECT 1 FROM exceptions WHERE reason_code = NEW.reason_code
                          AND subject = ${subject('NEW')} AND status IN ('open', 'assigned'));
      END;`;
  }
  const evidence = (r: string, first: string) => `jsonb_build_object(
      'source', 'inbox-rejection', 'firstRejectionId', ${first}, 'lastRejectionId', ${r}.id,
      'interface', ${r}.interface_name, 'sender', ${r}.sender, 'controlId', ${r}.control_id,
      'messageType', ${r}.message_type, 'contentSha256', ${r}.content_sha256,
      'existingMessageId', ${r}.existing_message_id)`;
  return `
    INSERT INTO exceptions (reason_code, team, status, subject, occurrences, summary, evidence, created_at, updated_at)
    SELECT r.reason_code, ${teamCase('r.reason_code')}, 'open', ${subject('r')}, g.n,
           'refused at the inbox: ' || r.reason, ${evidence('r', 'g.first_id')}, g.first_at, r.received_at
    FROM (SELECT MIN(id) AS first_id, MAX(id) AS last_id, COUNT(*) AS n, MIN(received_at) AS first_at
          FROM inbound_rejections GROUP BY reason_code, interface_name, sender) g
    JOIN inbound_rejections r ON r.id = g.last_id;
    CREATE FUNCTION crosswalk_rejection_exception() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE subj text := ${subject('NEW')};
    BEGIN
      -- Refusals of one subject arrive on several connections at once: without this lock two of them
      -- could each find no open exception and both insert one, or update rows in opposite orders and
      -- deadlock (the refusal is then lost, since recording it is best effort). Held to commit.
      PERFORM pg_advisory_xact_lock(hashtext('crosswalk:rejection:' || NEW.reason_code || ':' || subj));
      UPDATE exceptions SET occurrences = occurrences + 1, updated_at = NEW.received_at,
             evidence = evidence || jsonb_build_object('lastRejectionId', NEW.id, 'controlId', NEW.control_id,
                          'messageType', NEW.message_type, 'contentSha256', NEW.content_sha256,
                          'existingMessageId', NEW.existing_message_id)
      WHERE id = (SELECT MIN(id) FROM exceptions WHERE reason_code = NEW.reason_code AND subject = subj
                  AND status IN ('open', 'assigned'));
      IF NOT FOUND THEN
        INSERT INTO exceptions (reason_code, team, status, subject, occurrences, summary, evidence, created_at, updated_at)
        VALUES (NEW.reason_code, ${teamCase('NEW.reason_code')}, 'open', subj, 1,
                'refused at the inbox: ' || NEW.reason, ${evidence('NEW', 'NEW.id')}, NEW.received_at, NEW.received_at);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER inbound_rejections_exception AFTER INSERT ON inbound_rejections
      FOR EACH ROW EXECUTE FUNCTION crosswalk_rejection_exception();`;
}

/** A revision's bytes, edits and authorship never change; its status moves once, from pending. */
function revisionsSealed(d: Dialect): string {
  const changed = (o: string, n: string, op: string) =>
    [
      'message_id',
      'exception_id',
      'based_on',
      'raw',
      'content_sha256',
      'edits',
      'reason',
      'needs_approval',
      'edited_by',
      'edited_at',
    ]
      .map((c) => `${n}.${c} ${op} ${o}.${c}`)
      .join(' OR ');
  if (d === 'sqlite') {
    return `
      CREATE TRIGGER message_revisions_sealed BEFORE UPDATE ON message_revisions
      WHEN ${changed('OLD', 'NEW', 'IS NOT')} OR OLD.status <> 'pending'
      BEGIN SELECT RAISE(ABORT, 'a message revision cannot be changed once written or decided'); END;
      CREATE TRIGGER message_revisions_no_delete BEFORE DELETE ON message_revisions
      BEGIN SELECT RAISE(ABORT, 'message_revisions is append-only'); END;`;
  }
  return `
    CREATE FUNCTION crosswalk_message_revisions_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' OR ${changed('OLD', 'NEW', 'IS DISTINCT FROM')} OR OLD.status <> 'pending' THEN
        RAISE EXCEPTION 'a message revision cannot be changed once written or decided' USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER message_revisions_sealed BEFORE UPDATE OR DELETE ON message_revisions
      FOR EACH ROW EXECUTE FUNCTION crosswalk_message_revisions_sealed();`;
}

export const m0005: Migration = {
  id: 5,
  name: 'exception work-queue',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      ALTER TABLE exceptions ADD COLUMN assignee ${t.text};
      ALTER TABLE exceptions ADD COLUMN due_at ${t.text};
      ALTER TABLE exceptions ADD COLUMN resolved_at ${t.text};
      ALTER TABLE exceptions ADD COLUMN resolved_by ${t.text};
      ALTER TABLE exceptions ADD COLUMN resolution ${t.text};
      CREATE INDEX exceptions_team ON exceptions (team, status);
      CREATE INDEX exceptions_ordering_key ON exceptions (ordering_key, status);
      CREATE INDEX message_outcomes_exception ON message_outcomes (exception_id);

      CREATE TABLE exception_history (
        id ${t.serialPk},
        exception_id ${t.bigint} NOT NULL REFERENCES exceptions(id),
        kind ${t.text} NOT NULL,
        actor ${t.text} NOT NULL,
        at ${t.text} NOT NULL,
        from_status ${t.text} NOT NULL,
        to_status ${t.text} NOT NULL,
        note ${t.text},
        details ${t.json} NOT NULL
      );
      CREATE INDEX exception_history_exception ON exception_history (exception_id, id);
      ${appendOnly(d, 'exception_history')}

      CREATE TABLE message_revisions (
        id ${t.serialPk},
        message_id ${t.bigint} NOT NULL REFERENCES inbound_messages(id),
        exception_id ${t.bigint} NOT NULL REFERENCES exceptions(id),
        based_on ${t.bigint} REFERENCES message_revisions(id),
        raw ${t.bytes} NOT NULL,
        content_sha256 ${t.text} NOT NULL,
        edits ${t.json} NOT NULL,
        reason ${t.text},
        needs_approval ${t.bool} NOT NULL,
        edited_by ${t.text} NOT NULL,
        edited_at ${t.text} NOT NULL,
        status ${t.text} NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        decided_by ${t.text},
        decided_at ${t.text},
        CHECK (decided_by IS NULL OR lower(trim(decided_by)) <> lower(trim(edited_by))),
        CHECK (status <> 'pending' OR decided_by IS NULL),
        CHECK (status = 'pending' OR NOT needs_approval OR decided_by IS NOT NULL)
      );
      CREATE INDEX message_revisions_exception ON message_revisions (exception_id, id);
      ${revisionsSealed(d)}

      ${rejectionExceptions(d)}

      CREATE TABLE integrity_seals (
        id ${t.serialPk},
        sealed_at ${t.text} NOT NULL,
        sealed_by ${t.text} NOT NULL,
        facts ${t.json} NOT NULL
      );
      ${appendOnly(d, 'integrity_seals')}`;
  },
};
