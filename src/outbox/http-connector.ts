/**
 * Connector (b): HTTP/JSON POST to an ERP endpoint.
 *
 * Each document is one POST whose `Idempotency-Key` header is the document id (deterministic from its
 * content), so a receiver that honours the header takes a resend as the same request. What the answer
 * means:
 * - 2xx: delivered — unless the body is JSON saying otherwise (`error` set, `ok: false`,
 *   `accepted: false`, or `status`/`result` of error|rejected|failed): some ERPs answer 200 to a
 *   refusal, and that is a refusal (rejected).
 * - 408, 429 and 5xx: retry later; Retry-After (seconds or HTTP-date) says when.
 * - any other status: rejected (the request itself is wrong; resending it cannot help).
 * - no answer: if the request was never completely written (connection refused, DNS, timeout while
 *   connecting) the receiver cannot have acted — retry. If it was written and then the answer did not
 *   come (timeout, reset), the outcome is unknown.
 *
 * Each request gets a fresh connection (no keep-alive): a reused socket the server already closed fails
 * after the request was written and would make a plain retry look like an unknown outcome.
 */
import http from 'node:http';
import https from 'node:https';
import { isCrosswalkError } from '../errors/index.ts';
import { parseRetryAfter } from './backoff.ts';
import type { Connector, DeliverableDocument, SendResult } from './connector.ts';
import type { DocumentKind } from './documents.ts';
import { type RenderChart, renderDocumentBody } from './render.ts';

export interface HttpConnectorOptions {
  readonly name: string;
  readonly url: string;
  /** Whether the receiver deduplicates by Idempotency-Key; only then is an unknown outcome resent. */
  readonly honoursIdempotencyKey: boolean;
  /** Whole exchange: connect, send, answer. */
  readonly timeoutMs: number;
  /** Extra request headers (e.g. authorization); never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly kinds?: readonly DocumentKind[];
  readonly now?: () => Date;
  /** The connector type it reports (default `http`; `fhir` for the FHIR connector built on it). */
  readonly type?: 'http' | 'fhir';
  /** The request body of a document (default: `renderDocumentBody`). */
  readonly render?: (doc: DeliverableDocument, chart: RenderChart) => string;
  readonly contentType?: string;
}

/** Longest part of an answer kept as the delivery's response summary or error. */
const SUMMARY_CHARS = 200;
const MAX_BODY_BYTES = 64 * 1024;

const summarise = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, SUMMARY_CHARS);

/** The refusal a 2xx body states, or null when it states none. */
export function errorInBody(body: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return null;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const o = doc as Record<string, unknown>;
  const bad = (v: unknown) => typeof v === 'string' && /^(error|rejected|failed|failure)$/i.test(v);
  if (o['error'] !== undefined && o['error'] !== null && o['error'] !== false && o['error'] !== '') {
    return summarise(typeof o['error'] === 'string' ? o['error'] : JSON.stringify(o['error']));
  }
  if (
    o['ok'] === false ||
    o['accepted'] === false ||
    o['success'] === false ||
    bad(o['status']) ||
    bad(o['result'])
  ) {
    return summarise(typeof o['message'] === 'string' ? o['message'] : body);
  }
  return null;
}

export function httpConnector(options: HttpConnectorOptions): Connector {
  const now = options.now ?? (() => new Date());
  const url = new URL(options.url);
  const transport = url.protocol === 'https:' ? https : http;
  return {
    name: options.name,
    type: options.type ?? 'http',
    kinds: options.kinds ?? ['journal-batch', 'requisition'],
    honoursIdempotencyKey: options.honoursIdempotencyKey,
    async send(doc: DeliverableDocument, chart: RenderChart): Promise<SendResult> {
      let body: string;
      try {
        body = (options.render ?? renderDocumentBody)(doc, chart);
      } catch (e) {
        if (isCrosswalkError(e)) return { outcome: 'rejected', reason: e.message };
        throw e;
      }
      return new Promise<SendResult>((resolve) => {
        let written = false;
        let settled = false;
        const settle = (r: SendResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(r);
        };
        const req = transport.request(url, {
          method: 'POST',
          agent: false,
          headers: {
            ...options.headers,
            'content-type': options.contentType ?? 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': doc.id,
            'x-crosswalk-document-kind': doc.kind,
          },
        });
        const timer = setTimeout(() => {
          settle(
            written
              ? { outcome: 'unknown', reason: `no answer within ${options.timeoutMs} ms` }
              : { outcome: 'retry', reason: `not sent within ${options.timeoutMs} ms` },
          );
          req.destroy();
        }, options.timeoutMs);
        req.on('finish', () => {
          written = true;
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          const reason = err.code ?? err.message;
          settle(
            written
              ? { outcome: 'unknown', reason: `connection lost after sending: ${reason}` }
              : { outcome: 'retry', reason: `not sent: ${reason}` },
          );
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_BODY_BYTES) chunks.push(c);
          });
          res.on('error', (err: NodeJS.ErrnoException) =>
            settle({ outcome: 'unknown', reason: `answer cut off: ${err.code ?? err.message}` }),
          );
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status >= 200 && status < 300) {
              const refusal = errorInBody(text);
              settle(
                refusal !== null
                  ? {
                      outcome: 'rejected',
                      reason: `HTTP ${status} with an error: ${refusal}`,
                      httpStatus: status,
                    }
                  : {
                      outcome: 'delivered',
                      response: summarise(`HTTP ${status} ${text}`),
                      httpStatus: status,
                    },
              );
            } else if (status === 408 || status === 429 || status >= 500) {
              const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now());
              settle({
                outcome: 'retry',
                reason: summarise(`HTTP ${status} ${text}`),
                httpStatus: status,
                ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
              });
            } else {
              settle({
                outcome: 'rejected',
                reason: summarise(`HTTP ${status} ${text}`),
                httpStatus: status,
              });
            }
          });
        });
        req.end(body);
      });
    },
  };
}
