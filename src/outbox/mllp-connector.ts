/**
 * Connector `mllp`: an item-master document as one MFN message (MFN^M16 items, MFN^M04 charges) over
 * MLLP to the EHR's interface engine, judged by its acknowledgment.
 *
 * What the answer means:
 * - MSA-1 AA or CA: delivered (the receiver committed it).
 * - MSA-1 AE, AR, CE or CR: rejected, with MSA-3 and every ERR segment as evidence. Not resent: the same
 *   bytes would be refused again; a person looks at the exception and retries or confirms.
 * - could not connect: retry (nothing was sent).
 * - connected, then no answer in time, the connection dropped, or an answer that is unreadable or
 *   acknowledges another control id: unknown. Resent when the receiver deduplicates by MSH-10 (the
 *   document id, the same on every send), quarantined when it does not.
 *
 * One connection per document: master files are a few messages a day, and a fresh connection means a
 * stale one never turns a plain retry into an unknown outcome (as for HTTP).
 */
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { MllpClient, type MllpClientTlsOptions } from '../mllp/index.ts';
import type { Connector, DeliverableDocument, SendResult } from './connector.ts';
import type { DocumentKind } from './documents.ts';
import type { RenderChart } from './render.ts';
import { type MfnHeader, renderMasterMfn } from './render-hl7.ts';

export interface MllpConnectorOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** From writing the message to its acknowledgment. */
  readonly timeoutMs: number;
  readonly connectTimeoutMs?: number;
  /** Whether the receiver deduplicates by MSH-10; only then is an unknown outcome resent. */
  readonly honoursIdempotencyKey: boolean;
  readonly header: MfnHeader;
  readonly tls?: MllpClientTlsOptions;
  readonly kinds?: readonly DocumentKind[];
}

const SUMMARY_CHARS = 300;
const summarise = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, SUMMARY_CHARS);

/** What an acknowledgment says about the message sent with control id `controlId`. Pure. */
export function judgeAck(reply: Buffer, controlId: string): SendResult {
  let code: string;
  let acked: string;
  let text: string;
  const errors: string[] = [];
  try {
    const msg = parseMessage(reply);
    code = msg.get('MSA-1').toUpperCase();
    acked = msg.get('MSA-2');
    text = msg.get('MSA-3');
    for (let i = 1; i <= msg.count('ERR'); i++) {
      const parts = [
        msg.get('ERR-3.1', i),
        msg.get('ERR-3.2', i),
        msg.get('ERR-2', i),
        msg.get('ERR-8', i) || msg.get('ERR-1', i),
      ].filter((p) => p !== '');
      if (parts.length > 0) errors.push(`ERR ${parts.join(' ')}`);
    }
  } catch (e) {
    return {
      outcome: 'unknown',
      reason: `unreadable acknowledgment: ${isCrosswalkError(e) ? e.code : (e as Error).message}`,
    };
  }
  if (acked !== '' && acked !== controlId) {
    return { outcome: 'unknown', reason: `the acknowledgment is for ${summarise(acked)}, not ${controlId}` };
  }
  const evidence = summarise([`MSA ${code}`, text, ...errors].filter(Boolean).join('; '));
  if (code === 'AA' || code === 'CA') return { outcome: 'delivered', response: evidence };
  if (code === 'AE' || code === 'AR' || code === 'CE' || code === 'CR') {
    return { outcome: 'rejected', reason: evidence };
  }
  return { outcome: 'unknown', reason: `acknowledgment code ${summarise(code) || '(empty)'}` };
}

export function mllpConnector(options: MllpConnectorOptions): Connector {
  return {
    name: options.name,
    type: 'mllp',
    kinds: options.kinds ?? ['item-master'],
    honoursIdempotencyKey: options.honoursIdempotencyKey,
    async send(doc: DeliverableDocument, chart: RenderChart): Promise<SendResult> {
      let bytes: Buffer;
      try {
        if (doc.kind !== 'item-master') {
          throw new CrosswalkError('CW_ERR_OUTBOX_BAD_DOCUMENT', {
            reason: `an MLLP destination carries item-master documents, not ${doc.kind}`,
          });
        }
        bytes = Buffer.from(renderMasterMfn(doc, options.header, chart.scaleOf), 'utf8');
      } catch (e) {
        if (isCrosswalkError(e)) return { outcome: 'rejected', reason: e.message };
        throw e;
      }
      const client = new MllpClient();
      try {
        await client.connect({
          host: options.host,
          port: options.port,
          timeoutMs: options.connectTimeoutMs ?? options.timeoutMs,
          ...(options.tls ? { tls: options.tls } : {}),
        });
      } catch (e) {
        return { outcome: 'retry', reason: `not sent: ${summarise((e as Error).message)}` };
      }
      try {
        const reply = await client.send(bytes, { timeoutMs: options.timeoutMs, label: doc.id });
        return judgeAck(reply, doc.id);
      } catch (e) {
        return { outcome: 'unknown', reason: `no acknowledgment: ${summarise((e as Error).message)}` };
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  };
}
