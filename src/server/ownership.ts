import type { FastifyPluginAsync } from 'fastify';
import { ownershipAt } from '../governance/index.ts';
import type { Store } from '../store/index.ts';
import { loadOwnership } from '../store/ownership-repository.ts';

/** The master-data ownership registry as it stands now: the system of record per kind and the source rules. */
export const ownershipRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/ownership',
    {
      config: { action: 'ownership.read' },
      schema: {
        summary: 'Which system owns each kind of master data, and which system each message source is',
        tags: ['governance'],
        response: {
          200: {
            type: 'object',
            properties: {
              at: { type: 'string' },
              owners: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    kind: { type: 'string' },
                    system: { type: 'string' },
                    since: { type: 'string' },
                    setBy: { type: 'string' },
                  },
                },
              },
              sources: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    source: { type: 'string' },
                    system: { type: 'string' },
                    effectiveFrom: { type: 'string' },
                    setBy: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const at = new Date().toISOString();
      return { at, ...ownershipAt(await loadOwnership(store), at) };
    },
  );
};
