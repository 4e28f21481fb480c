import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * The outbox: documents for other systems, written in the apply transaction that caused them, and their
 * delivery to each destination.
 *
 * - `outbox_documents` holds each document once (id = its idempotency key, deterministic from content;
 *   payload as sent), append-only: what we promised to send never changes.
 * - `outbox_deliveries` is one row per document × destination with the delivery state machine
 *   (pending → delivering → delivered | pending again (retry) | quarantined | failed). Its order within a
 *   destination and ordering key is (seq_message_id, seq_part): the last inbound message id of the apply
 *   batch that wrote it (monotonic per ordering key, because one key is applied by one process at a time,
 *   in id order) and the document's position within that batch.
 * - `outbox_attempts` logs every call to a destination, append-only.
 * - `outbox_destinations` is each destination's shared state: whether it receives new documents
 *   (configured), paused, alerting, and the lease that lets exactly one process deliver to it.
 *
 * The default destination `journal-files` exists from the start, so documents are never written for
 * nobody: the runtime then enables/disables destinations to match its configuration.
 */
export const m0007: Migration = {
  id: 7,
  name: 'outbox',
  up: (d) => {
    const t = ddlTypes(d);
    const partial = "WHERE state <> 'delivered'";
    return `
      CREATE TABLE outbox_destinations (
        name ${t.text} PRIMARY KEY,
        connector ${t.text} NOT NULL CHECK (connector IN ('journal-files', 'http', 'mllp', 'fhir')),
        kinds ${t.text} NOT NULL,
        enabled ${t.bool} NOT NULL,
        paused ${t.bool} NOT NULL DEFAULT FALSE,
        paused_by ${t.text},
        paused_at ${t.text},
        pause_reason ${t.text},
        alerting ${t.bool} NOT NULL DEFAULT FALSE,
        alert_since ${t.text},
        alert_exception_id ${t.bigint} REFERENCES exceptions(id),
        lease_owner ${t.text},
        lease_until ${t.text},
        updated_at ${t.text} NOT NULL
      );
      INSERT INTO outbox_destinations (name, connector, kinds, enabled, updated_at)
        VALUES ('journal-files', 'journal-files', 'journal-batch,requisition', TRUE, '1970-01-01T00:00:00.000Z');

      CREATE TABLE outbox_documents (
        id ${t.text} PRIMARY KEY,
        kind ${t.text} NOT NULL CHECK (kind IN ('journal-batch', 'requisition', 'item-master')),
        ordering_key ${t.text} NOT NULL,
        seq_message_id ${t.bigint} NOT NULL,
        seq_part ${t.int} NOT NULL CHECK (seq_part >= 0),
        entity ${t.text},
        first_message_id ${t.bigint},
        last_message_id ${t.bigint},
        item_count ${t.int} NOT NULL,
        payload ${t.text} NOT NULL,
        created_at ${t.text} NOT NULL
      );
      ${appendOnly(d, 'outbox_documents')}

      CREATE TABLE outbox_deliveries (
        destination ${t.text} NOT NULL REFERENCES outbox_destinations(name),
        document_id ${t.text} NOT NULL REFERENCES outbox_documents(id),
        ordering_key ${t.text} NOT NULL,
        seq_message_id ${t.bigint} NOT NULL,
        seq_part ${t.int} NOT NULL,
        state ${t.text} NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'quarantined', 'failed')),
        attempts ${t.int} NOT NULL DEFAULT 0,
        next_attempt_at ${t.text} NOT NULL,
        last_error ${t.text},
        delivered_at ${t.text},
        response ${t.text},
        exception_id ${t.bigint} REFERENCES exceptions(id),
        created_at ${t.text} NOT NULL,
        updated_at ${t.text} NOT NULL,
        PRIMARY KEY (destination, document_id)
      );
      CREATE INDEX outbox_deliveries_open ON outbox_deliveries
        (destination, ordering_key, seq_message_id, seq_part) ${partial};
      CREATE INDEX outbox_deliveries_order ON outbox_deliveries
        (destination, ordering_key, seq_message_id, seq_part);

      CREATE TABLE outbox_attempts (
        id ${t.serialPk},
        destination ${t.text} NOT NULL,
        document_id ${t.text} NOT NULL,
        attempt ${t.int} NOT NULL,
        started_at ${t.text} NOT NULL,
        finished_at ${t.text} NOT NULL,
        outcome ${t.text} NOT NULL,
        http_status ${t.int},
        error_code ${t.text},
        detail ${t.text}
      );
      CREATE INDEX outbox_attempts_document ON outbox_attempts (destination, document_id);
      ${appendOnly(d, 'outbox_attempts')}`;
  },
};
