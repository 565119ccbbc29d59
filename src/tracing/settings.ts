/**
 * Whether and where traces go, read from the standard OpenTelemetry variables (plain data in, plain
 * data out: unit-tested). Off unless an OTLP endpoint is set; OTEL_SDK_DISABLED and
 * OTEL_TRACES_EXPORTER=none turn it off even then.
 */
import { EnvError } from '../config/envError';

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface SamplerSettings {
  name: SamplerName;
  /** traceidratio samplers: the share of traces kept (0..1). */
  ratio: number;
}

export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP, JSON). */
  url: string;
  sampler: SamplerSettings;
  /** Resource attributes: service.name and OTEL_RESOURCE_ATTRIBUTES. */
  resource: Record<string, string>;
}

const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export const DEFAULT_SERVICE_NAME = 'gatehouse';

/** The settings, or undefined when tracing is off. Throws (at start) on a value it cannot honour. */
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings | undefined {
  if (isTrue(env.OTEL_SDK_DISABLED)) return undefined;
  const exporter = (env.OTEL_TRACES_EXPORTER ?? 'otlp').trim().toLowerCase();
  if (exporter === 'none') return undefined;
  if (exporter !== 'otlp') throw new EnvError(`OTEL_TRACES_EXPORTER must be otlp or none, not "${exporter}"`);
  const url = tracesUrl(env);
  if (!url) return undefined;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/json').trim();
  if (protocol === 'grpc') throw new EnvError('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: Gatehouse sends OTLP over HTTP (port 4318 on a collector)');
  return { url, sampler: samplerSettings(env), resource: resourceAttributes(env) };
}

/** The per-signal endpoint is used as is; the general one gets `/v1/traces` appended (the OTLP rule). */
export function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const own = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = own || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new EnvError(`the OTLP traces endpoint must be an http(s) URL, not "${url}"`);
  return url;
}

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG; the default samples whatever the parent did, and every root. */
export function samplerSettings(env: NodeJS.ProcessEnv): SamplerSettings {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase() as SamplerName;
  if (!SAMPLERS.includes(name)) throw new EnvError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, not "${name}"`);
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const ratio = arg ? Number(arg) : 1;
  if (name.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1)) throw new EnvError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, not "${arg}"`);
  return { name, ratio };
}

/** OTEL_RESOURCE_ATTRIBUTES (`k=v,k2=v2`, percent-encoded) with service.name from OTEL_SERVICE_NAME first. */
export function resourceAttributes(env: NodeJS.ProcessEnv): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = decode(pair.slice(0, eq).trim());
    const value = decode(pair.slice(eq + 1).trim());
    if (key && value !== undefined) attrs[key] = value;
  }
  attrs['service.name'] = env.OTEL_SERVICE_NAME?.trim() || attrs['service.name'] || DEFAULT_SERVICE_NAME;
  return attrs;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}
