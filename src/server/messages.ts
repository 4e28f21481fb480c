import type { FastifyPluginAsync } from 'fastify';
import { CrosswalkError } from '../errors/index.ts';
import { fieldLines, parseMessage } from '../hl7v2/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import type { Store } from '../store/index.ts';

const summary = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    interfaceName: { type: 'string' },
    orderingKey: { type: 'string' },
    sender: { type: 'string' },
    controlId: { type: 'string' },
    messageType: { type: 'string' },
    receivedAt: { type: 'string' },
    sizeBytes: { type: 'integer' },
    ackCode: { type: 'string' },
  },
} as const;

const errorRef = { $ref: 'Error#' };

/**
 * What a stored message holds, by the way it came in: HL7 v2 rows as their parsed tree and the ACK's
 * control id; FHIR rows (`FHIR:<Type>`, raw bytes a JSON envelope, the answer a JSON status line) as that
 * JSON, not parsed as HL7.
 */
export function storedContent(
  messageType: string,
  raw: Buffer,
  ack: Buffer,
):
  | { format: 'hl7v2'; ackControlId: string; segments: ReturnType<typeof fieldLines> }
  | { format: 'fhir'; answer: unknown; envelope: unknown } {
  if (messageType.startsWith('FHIR:')) {
    const json = (b: Buffer): unknown => {
      try {
        return JSON.parse(b.toString('utf8'));
      } catch {
        return b.toString('utf8');
      }
    };
    return { format: 'fhir', answer: json(ack), envelope: json(raw) };
  }
  return {
    format: 'hl7v2',
    ackControlId: parseMessage(ack).get('MSH-10'),
    segments: fieldLines(parseMessage(raw)),
  };
}

/** The inbox, read-only: what arrived, what it was answered, and the parsed tree of one message. */
export const messageRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  const repo = new InboxRepository(store);
  app.addSchema({
    $id: 'Error',
    type: 'object',
    required: ['code', 'message'],
    properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
  });

  app.get<{ Querystring: { limit?: number; before?: string } }>(
    '/messages',
    {
      config: { action: 'messages.read' },
      schema: {
        summary: 'Messages received, newest first',
        tags: ['messages'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
            before: {
              type: 'string',
              pattern: '^[0-9]{1,18}$',
              description: 'only messages with a smaller id',
            },
          },
        },
        response: { 200: { type: 'array', items: summary }, 400: errorRef },
      },
    },
    async (req) => {
      const rows = await repo.list({
        limit: req.query.limit ?? 50,
        ...(req.query.before ? { beforeId: BigInt(req.query.before) } : {}),
      });
      return rows.map((r) => ({ ...r, id: r.id.toString() }));
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/messages/rejections',
    {
      config: { action: 'messages.read' },
      schema: {
        summary: 'Messages refused (unparseable, conflicting resends), newest first',
        tags: ['messages'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
        },
      },
    },
    async (req) => {
      const rows = await repo.listRejections(req.query.limit ?? 50);
      return rows.map((r) => ({
        ...r,
        id: r.id.toString(),
        existingMessageId: r.existingMessageId === null ? null : r.existingMessageId.toString(),
      }));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/messages/:id',
    {
      config: { action: 'messages.read_phi' },
      schema: {
        summary: 'One message: metadata, the ACK it got, and its parsed tree with 1-based positions',
        tags: ['messages'],
        params: {
          type: 'object',
          properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } },
          required: ['id'],
        },
        response: { 404: errorRef, 400: errorRef },
      },
    },
    async (req) => {
      const m = await repo.get(BigInt(req.params.id));
      if (!m) throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: 'message', id: req.params.id });
      const { raw, ack, ...meta } = m;
      return { ...meta, id: m.id.toString(), ...storedContent(m.messageType, raw, ack) };
    },
  );
};
