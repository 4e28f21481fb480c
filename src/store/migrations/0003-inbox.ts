import { ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * The inbox: every message Crosswalk acknowledged positively, byte-exact, with the ACK it was sent, keyed
 * by sender + control id (MSH-3/4 + MSH-10) so that a resend gets the same ACK back and no new effect.
 * Messages of one ordering key (default: the interface) are applied later in id order.
 * Whatever was refused (unparseable, same key with different content, storage trouble when it could
 * still be written) is kept in inbound_rejections with the reason code, for a person to look at.
 */
export const m0003: Migration = {
  id: 3,
  name: 'inbox',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE inbound_messages (
        id ${t.serialPk},
        interface_name ${t.text} NOT NULL,
        ordering_key ${t.text} NOT NULL,
        sender ${t.text} NOT NULL,
        control_id ${t.text} NOT NULL,
        message_type ${t.text} NOT NULL,
        received_at ${t.text} NOT NULL,
        content_sha256 ${t.text} NOT NULL,
        size_bytes ${t.int} NOT NULL,
        raw ${t.bytes} NOT NULL,
        ack ${t.bytes} NOT NULL,
        ack_code ${t.text} NOT NULL,
        UNIQUE (sender, control_id)
      );
      CREATE INDEX inbound_messages_received ON inbound_messages (received_at);
      CREATE INDEX inbound_messages_ordering ON inbound_messages (ordering_key, id);
      CREATE TABLE inbound_rejections (
        id ${t.serialPk},
        interface_name ${t.text} NOT NULL,
        sender ${t.text},
        control_id ${t.text},
        message_type ${t.text},
        received_at ${t.text} NOT NULL,
        content_sha256 ${t.text} NOT NULL,
        size_bytes ${t.int} NOT NULL,
        raw ${t.bytes} NOT NULL,
        reason_code ${t.text} NOT NULL,
        reason ${t.text} NOT NULL,
        ack ${t.bytes},
        ack_code ${t.text},
        existing_message_id ${t.bigint} REFERENCES inbound_messages(id)
      );
      CREATE INDEX inbound_rejections_received ON inbound_rejections (received_at);`;
  },
};
