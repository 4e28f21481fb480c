/**
 * The outbox as the runtime starts it: connectors built from configuration, the destination table made
 * to match it, and a running Deliverer.
 *
 * With no destination configured there is one, `journal-files`, writing CSV, JSON and hledger batch
 * files into CROSSWALK_OUTBOX_DIR (default: `outbox/` beside the token key file, i.e. in the data
 * folder). The migration creates that destination too, so documents written before any runtime
 * started (or by tools that post without one) are not written for nobody.
 */
import { dirname, join, resolve } from 'node:path';
import type { Config, OutboxDestinationConfig } from '../config/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import type { Logger, Metrics } from '../observe/index.ts';
import type { Store } from '../store/index.ts';
import { syncDestinations } from '../store/outbox-repository.ts';
import type { Connector } from './connector.ts';
import { Deliverer } from './deliverer.ts';
import type { DocumentKind } from './documents.ts';
import { fhirConnector } from './fhir-connector.ts';
import { journalFilesConnector } from './files-connector.ts';
import { httpConnector } from './http-connector.ts';
import { mllpConnector } from './mllp-connector.ts';

export const DEFAULT_DESTINATION = 'journal-files';
const DEFAULT_KINDS: readonly DocumentKind[] = ['journal-batch', 'requisition'];

export function outboxDir(config: Pick<Config, 'outboxDir' | 'tokenKeyFile'>): string {
  return config.outboxDir !== ''
    ? resolve(config.outboxDir)
    : join(dirname(resolve(config.tokenKeyFile)), 'outbox');
}

export function destinationsOf(config: Pick<Config, 'outboxDestinations'>): OutboxDestinationConfig[] {
  return config.outboxDestinations.length > 0
    ? config.outboxDestinations
    : [{ name: DEFAULT_DESTINATION, type: 'journal-files' }];
}

export function connectorsFromConfig(
  config: Pick<Config, 'outboxDestinations' | 'outboxDir' | 'tokenKeyFile' | 'outboxHttpTimeoutMs'>,
): Connector[] {
  const base = outboxDir(config);
  const names = new Set<string>();
  return destinationsOf(config).map((d) => {
    if (names.has(d.name)) {
      throw new Error(`outbox destination "${d.name}" is configured twice`);
    }
    names.add(d.name);
    if (d.type === 'journal-files') {
      return journalFilesConnector({
        name: d.name,
        folder: d.folder
          ? resolve(d.folder)
          : d.name === DEFAULT_DESTINATION && config.outboxDestinations.length === 0
            ? base
            : join(base, d.name),
        formats: d.formats ?? ['csv', 'json', 'hledger'],
        kinds: d.kinds ?? DEFAULT_KINDS,
      });
    }
    if (d.type === 'mllp') {
      return mllpConnector({
        name: d.name,
        host: d.host,
        port: d.port,
        honoursIdempotencyKey: d.honoursIdempotencyKey ?? false,
        timeoutMs: d.timeoutMs ?? config.outboxHttpTimeoutMs,
        header: {
          sendingApplication: d.sendingApplication ?? 'CROSSWALK',
          sendingFacility: d.sendingFacility ?? 'CROSSWALK',
          receivingApplication: d.receivingApplication ?? '',
          receivingFacility: d.receivingFacility ?? '',
        },
        kinds: d.kinds ?? ['item-master'],
      });
    }
    if (d.type === 'fhir') {
      return fhirConnector({
        name: d.name,
        baseUrl: d.url,
        timeoutMs: d.timeoutMs ?? config.outboxHttpTimeoutMs,
        ...(d.headers ? { headers: d.headers } : {}),
      });
    }
    return httpConnector({
      name: d.name,
      url: d.url,
      honoursIdempotencyKey: d.honoursIdempotencyKey ?? false,
      timeoutMs: d.timeoutMs ?? config.outboxHttpTimeoutMs,
      ...(d.headers ? { headers: d.headers } : {}),
      kinds: d.kinds ?? DEFAULT_KINDS,
    });
  });
}

/** Registers the configured destinations and starts delivering to them. */
export async function startDeliverer(deps: {
  store: Store;
  config: Config;
  logger?: Logger;
  metrics?: Metrics;
}): Promise<Deliverer> {
  const { config, store } = deps;
  // A lease that can lapse during a call would let a second process send the same document.
  const longestCall = Math.max(
    0,
    ...destinationsOf(config).map((d) =>
      d.type === 'journal-files' ? 0 : (d.timeoutMs ?? config.outboxHttpTimeoutMs),
    ),
  );
  if (config.outboxLeaseMs < 2 * longestCall) {
    throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
      setting: 'CROSSWALK_OUTBOX_LEASE_MS',
      reason: `must be at least twice the longest destination timeout (${longestCall} ms)`,
    });
  }
  const connectors = connectorsFromConfig(config);
  await store.transaction((tx) =>
    syncDestinations(
      tx,
      connectors.map((c) => ({ name: c.name, connector: c.type, kinds: c.kinds })),
      new Date().toISOString(),
    ),
  );
  const deliverer = new Deliverer({
    store,
    connectors,
    retry: { baseMs: config.outboxRetryBaseMs, maxMs: config.outboxRetryMaxMs },
    alertAfterMs: config.outboxQueueAlertMs,
    pollMs: config.outboxPollMs,
    leaseMs: config.outboxLeaseMs,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  deliverer.start();
  return deliverer;
}
