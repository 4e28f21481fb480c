import { CrosswalkError } from '../errors/index.ts';

export type DatabaseTarget =
  | { readonly engine: 'sqlite'; readonly path: string; readonly display: string }
  | { readonly engine: 'postgres'; readonly url: string; readonly display: string };

/**
 * Reads CROSSWALK_DATABASE_URL: `postgres://` / `postgresql://` URLs select PostgreSQL; `sqlite:PATH`,
 * `file:PATH` or a bare path select embedded SQLite (`:memory:` too, for tests). Anything else that
 * looks like a URL names an engine we do not support and is refused rather than guessed at.
 */
export function parseDatabaseUrl(value: string, setting = 'CROSSWALK_DATABASE_URL'): DatabaseTarget {
  const v = value.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(v)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', { setting, reason: 'not a valid postgres:// URL' });
    }
    const display = `postgres://${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.host}${parsed.pathname}`;
    return { engine: 'postgres', url: v, display };
  }
  if (scheme === 'sqlite' || scheme === 'file') {
    const path = v.slice(scheme.length + 1).replace(/^\/\/(?=\/)/, '');
    if (path === '')
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', { setting, reason: 'sqlite: needs a file path' });
    return { engine: 'sqlite', path, display: `sqlite:${path}` };
  }
  // A Windows drive letter ("C:\…") is a path, not a scheme.
  if (scheme !== undefined && scheme.length > 1) {
    throw new CrosswalkError('CW_ERR_CONFIG_ENGINE', { setting, value: `${scheme}:` });
  }
  return { engine: 'sqlite', path: v, display: `sqlite:${v}` };
}
