import { readFileSync, statSync } from 'node:fs';
import { UpstreamError } from './upstreamError';

/**
 * A provider's API key: from a file (`apiKeyFile`, or `<apiKeyEnv>_FILE` in the environment, the
 * Docker/Kubernetes secrets convention) or from the environment variable `apiKeyEnv`. A file is
 * read again when it changes (checked by stat on each call, microseconds), so a rotated key is used
 * from the next call on without a restart. The key itself never appears in the config or logs.
 */
export interface KeySource {
  /** Where the key comes from, for error messages: "$OPENAI_API_KEY" or "file /run/secrets/openai". */
  describe: string;
  /** The key now, or undefined when unset, empty or unreadable. */
  read(): string | undefined;
}

export interface ProviderKeyConfig {
  apiKeyEnv?: string;
  apiKeyFile?: string;
}

/** The key's source for a provider; undefined when it uses no key. */
export function providerKeySource(p: ProviderKeyConfig, env: NodeJS.ProcessEnv): KeySource | undefined {
  if (p.apiKeyFile) return fileKey(p.apiKeyFile);
  if (!p.apiKeyEnv) return undefined;
  const file = env[`${p.apiKeyEnv}_FILE`];
  if (file) return fileKey(file);
  const name = p.apiKeyEnv;
  return { describe: `$${name}`, read: () => env[name] || undefined };
}

/** A key file, re-read whenever its inode, size or mtime changes (an atomic replace or an edit). */
export function fileKey(path: string): KeySource {
  let cached: { signature: string; value: string | undefined } | undefined;
  return {
    describe: `file ${path}`,
    read() {
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st?.isFile()) return undefined;
      const signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (cached?.signature !== signature) cached = { signature, value: readKeyFile(path) };
      return cached.value;
    },
  };
}

function readKeyFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined; // unreadable now (being replaced, permissions): the call fails as unauthenticated
  }
}

/** The key, or the provider's 401: a missing key fails that provider's calls (routes fall back), not the gateway. */
export function requireKey(source: KeySource): () => string {
  return () => {
    const key = source.read();
    if (!key) throw new UpstreamError('http', `API key not configured: set ${source.describe}`, 401);
    return key;
  };
}
