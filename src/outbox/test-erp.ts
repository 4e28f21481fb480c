/**
 * A fake ERP for tests (imported by tests only): a real HTTP server on port 0 that books the documents
 * POSTed to it, and can be told to misbehave the ways real ones do — be down (nothing listening), answer
 * 500, 429 with Retry-After, 400, 200 with an error in the body, answer too late (after booking: the
 * outcome the sender cannot know), or reset the connection after reading the request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ErpMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  | { kind: 'error-body' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'reset' };

export interface ErpRequest {
  readonly idempotencyKey: string;
  readonly kind: string;
  readonly at: number;
  readonly answered: string;
}

export interface FakeErp {
  readonly url: string;
  /** Every request that reached the ERP, in arrival order. */
  readonly requests: ErpRequest[];
  /** The body and headers of every request, as received (the PHI canary test reads them). */
  readonly received: string[];
  /** Documents the ERP booked, in order (each id once when it honours idempotency keys). */
  readonly booked: { id: string; kind: string; batchId: string | null }[];
  mode: ErpMode;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeErp(options: { honoursIdempotencyKey: boolean }): Promise<FakeErp> {
  let port = 0;
  let server: http.Server | null = null;
  const sockets = new Set<import('node:net').Socket>();
  const erp: FakeErp = {
    url: '',
    requests: [],
    received: [],
    booked: [],
    mode: { kind: 'ok' },
    async down() {
      const s = server;
      server = null;
      if (!s) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
    async up() {
      if (server) return;
      server = http.createServer(handle);
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
      port = (server.address() as AddressInfo).port;
      (erp as { url: string }).url = `http://127.0.0.1:${port}/erp/documents`;
    },
    async close() {
      await erp.down();
    },
  };

  const book = (key: string, kind: string, body: string): void => {
    if (options.honoursIdempotencyKey && erp.booked.some((b) => b.id === key)) return;
    let batchId: string | null = null;
    try {
      const doc = JSON.parse(body) as { batchId?: string; id?: string };
      batchId = doc.batchId ?? doc.id ?? null;
    } catch {
      batchId = null;
    }
    erp.booked.push({ id: key, kind, batchId });
  };

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const kind = String(req.headers['x-crosswalk-document-kind'] ?? '');
      const body = Buffer.concat(chunks).toString('utf8');
      erp.received.push(`${JSON.stringify(req.headers)}\n${req.url ?? ''}\n${body}`);
      const mode = erp.mode;
      const log = (answered: string) =>
        erp.requests.push({ idempotencyKey: key, kind, at: Date.now(), answered });
      const json = (status: number, doc: object, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(doc));
      };
      switch (mode.kind) {
        case 'ok':
          book(key, kind, body);
          log('200');
          json(200, { status: 'accepted', reference: `ERP-${erp.booked.length}` });
          return;
        case 'status':
          log(String(mode.status));
          json(
            mode.status,
            { message: mode.body ?? `status ${mode.status}` },
            {
              ...(mode.retryAfter !== undefined ? { 'retry-after': mode.retryAfter } : {}),
            },
          );
          return;
        case 'error-body':
          log('200-error');
          json(200, { status: 'error', error: 'period 2026-11 is closed in the general ledger' });
          return;
        case 'slow':
          // It books, then answers too late: the sender cannot know it arrived.
          book(key, kind, body);
          log('slow');
          setTimeout(() => {
            if (!res.destroyed) json(200, { status: 'accepted' });
          }, mode.delayMs).unref();
          return;
        case 'reset':
          log('reset');
          req.socket.destroy();
          return;
      }
    });
  }

  await erp.up();
  return erp;
}
