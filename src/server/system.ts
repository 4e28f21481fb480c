import type { FastifyPluginAsync } from 'fastify';
import { type Store, schemaStatus } from '../store/index.ts';
import { countMasterData } from '../store/master-data.ts';

export const systemRoutes: FastifyPluginAsync<{ store: Store; version: string }> = async (
  app,
  { store, version },
) => {
  app.get(
    '/system',
    {
      config: { action: 'system.read' },
      schema: {
        summary: 'Version, database engine and schema version of this Crosswalk instance',
        tags: ['system'],
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'string' },
              engine: { type: 'string', enum: ['sqlite', 'postgres'] },
              database: { type: 'string' },
              schemaVersion: { type: 'integer' },
              expectedSchemaVersion: { type: 'integer' },
            },
          },
        },
      },
    },
    async () => {
      const s = await schemaStatus(store);
      return {
        version,
        engine: store.capabilities.dialect,
        database: store.target,
        schemaVersion: s.current,
        expectedSchemaVersion: s.expected,
      };
    },
  );

  app.get(
    '/master-data',
    {
      config: { action: 'system.read' },
      schema: {
        summary: 'How many records of each kind of master data are loaded',
        tags: ['master data'],
        response: { 200: { type: 'object', additionalProperties: { type: 'integer' } } },
      },
    },
    async () => countMasterData(store),
  );
};
