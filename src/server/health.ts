import type { FastifyPluginAsync } from 'fastify';
import { isCrosswalkError } from '../errors/index.ts';
import type { Metrics } from '../observe/index.ts';
import { assertMigrated, type Store, schemaStatus } from '../store/index.ts';

/** Liveness, readiness and Prometheus metrics: the three probes an operator points tooling at. */
export const healthRoutes: FastifyPluginAsync<{ store: Store; metrics: Metrics }> = async (
  app,
  { store, metrics },
) => {
  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await store.ping();
      await assertMigrated(store);
      const s = await schemaStatus(store);
      metrics.ready.set(1);
      return {
        status: 'ready',
        database: store.target,
        engine: store.capabilities.dialect,
        schemaVersion: s.current,
      };
    } catch (e) {
      metrics.ready.set(0);
      const code = isCrosswalkError(e) ? e.code : 'CW_ERR_STORE_UNREACHABLE';
      const message = isCrosswalkError(e) ? e.message : 'database check failed';
      return reply.status(503).send({ status: 'not ready', code, message });
    }
  });

  app.get('/metrics', { config: { action: 'system.read' }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
