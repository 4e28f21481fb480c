import type { FastifyPluginAsync } from 'fastify';
import { CrosswalkError } from '../errors/index.ts';
import type { Store } from '../store/index.ts';
import {
  DELIVERY_STATES,
  type DeliveryState,
  destinationOverview,
  documentDetail,
  listDeliveries,
  queueFigures,
  requireDestination,
  setPaused,
  settleStuck,
} from '../store/outbox-repository.ts';
import { subjectOf } from './auth.ts';

/** bigint ids as strings: JSON has no 64-bit integers. */
const plain = <T>(v: T): unknown =>
  JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));

const nameParam = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } },
} as const;

/** `as` is optional: the actor is the authenticated principal, and a different name is refused. */
const actorBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    as: { type: 'string', minLength: 1, maxLength: 200, description: 'who does it' },
    reason: { type: 'string', maxLength: 1000 },
  },
} as const;

/**
 * The outbox under /api/outbox: destinations and their queues, one document with its deliveries and
 * attempts; pause/resume a destination; retry or confirm a stuck delivery. A running deliverer sees
 * a pause or resume at its next pass.
 */
export const outboxRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/outbox/destinations',
    {
      config: { action: 'outbox.read' },
      schema: {
        summary: 'Destinations with their queue depth and oldest waiting document',
        tags: ['outbox'],
      },
    },
    async () => plain(await destinationOverview(store)),
  );

  app.get<{ Params: { name: string }; Querystring: { state?: DeliveryState; limit?: number } }>(
    '/outbox/destinations/:name',
    {
      config: { action: 'outbox.read' },
      schema: {
        summary: 'One destination and the deliveries waiting for it (or in one state), in order',
        tags: ['outbox'],
        params: nameParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: [...DELIVERY_STATES] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
          },
        },
      },
    },
    async (req) => {
      const destination = await requireDestination(store, req.params.name);
      const figures = await queueFigures(store, req.params.name);
      const deliveries = await listDeliveries(store, req.params.name, {
        ...(req.query.state ? { state: req.query.state } : {}),
        limit: req.query.limit ?? 50,
      });
      return plain({ destination, ...figures, deliveries });
    },
  );

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    app.post<{ Params: { name: string }; Body: { as?: string; reason?: string } | undefined }>(
      `/outbox/destinations/:name/${action}`,
      {
        config: { action: 'outbox.operate' },
        schema: {
          summary: paused
            ? 'Stop delivering to one destination (it keeps queueing; the others flow)'
            : 'Deliver to a paused destination again',
          tags: ['outbox'],
          params: nameParam,
          body: actorBody,
        },
      },
      async (req) => {
        await requireDestination(store, req.params.name);
        const changed = await store.transaction((tx) =>
          setPaused(
            tx,
            req.params.name,
            paused,
            subjectOf(req),
            req.body?.reason ?? null,
            new Date().toISOString(),
          ),
        );
        return { destination: req.params.name, paused, changed };
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    '/outbox/documents/:id',
    {
      config: { action: 'outbox.read' },
      schema: {
        summary: 'One outbox document with its deliveries and every attempt',
        tags: ['outbox'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^(jb|rq)_[0-9a-f]{16}$' } },
        },
      },
    },
    async (req) => {
      const detail = await documentDetail(store, req.params.id);
      if (!detail)
        throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: 'outbox document', id: req.params.id });
      return plain(detail);
    },
  );

  for (const action of ['retry', 'confirm'] as const) {
    app.post<{ Params: { name: string; id: string }; Body: { as?: string } | undefined }>(
      `/outbox/destinations/:name/documents/:id/${action}`,
      {
        config: { action: 'outbox.operate' },
        schema: {
          summary:
            action === 'retry'
              ? 'Send a refused or quarantined document again'
              : 'Record a refused or quarantined document as delivered (the receiver has it)',
          tags: ['outbox'],
          params: {
            type: 'object',
            required: ['name', 'id'],
            properties: {
              ...nameParam.properties,
              id: { type: 'string', pattern: '^(jb|rq)_[0-9a-f]{16}$' },
            },
          },
          body: actorBody,
        },
      },
      async (req) => {
        await requireDestination(store, req.params.name);
        const row = await store.transaction((tx) =>
          settleStuck(tx, req.params.name, req.params.id, action, subjectOf(req), new Date().toISOString()),
        );
        return plain(row);
      },
    );
  }
};
