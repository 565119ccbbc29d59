/**
 * Fault-spec grammar for the mock provider. Pure functions only, so the grammar
 * can be unit-tested without sockets.
 *
 * A spec is a comma-separated list of tokens, e.g. `latency=300,status=500`:
 *   status=CODE[:error_code]   4xx/5xx with OpenAI error JSON (error_code e.g. context_length_exceeded)
 *   retry-after=S              Retry-After header (seconds); needs status
 *   timeout | reset | malformed | no-done | reject-prefill   (reject-prefill: 400 `unsupported_prefill`
 *                              when the last message is an assistant prefill; without it the mock continues a prefill)
 *   latency=MS | first-token=MS | chunk-delay=MS
 *   stream-cut=N | stream-stall=N | stream-reset=N | stream-error=N | malformed-chunk=N   (after N content chunks;
 *                              stream-error: an OpenAI-style error event, then the end)
 *   garbage-stream             a 200 event stream whose every chunk is unparseable, then [DONE]
 *   answer-tokens=N            the answer is N tokens long (before max_tokens truncates it): a long answer
 *   none (or empty)            explicitly "no fault" (useful inside a queued script)
 */

export type FaultSpec = string;

/** Parsed form of a FaultSpec. An empty object means "behave normally". */
export interface Fault {
  status?: number;
  errorCode?: string;
  retryAfterSec?: number;
  timeout?: boolean;
  reset?: boolean;
  malformed?: boolean;
  noDone?: boolean;
  rejectPrefill?: boolean;
  garbageStream?: boolean;
  latencyMs?: number;
  firstTokenMs?: number;
  chunkDelayMs?: number;
  streamCut?: number;
  streamStall?: number;
  streamReset?: number;
  streamError?: number;
  malformedChunk?: number;
  answerTokens?: number;
}

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

type FlagKey = 'timeout' | 'reset' | 'malformed' | 'noDone' | 'rejectPrefill' | 'garbageStream';
type NumberKey =
  | 'retryAfterSec'
  | 'latencyMs'
  | 'firstTokenMs'
  | 'chunkDelayMs'
  | 'streamCut'
  | 'streamStall'
  | 'streamReset'
  | 'streamError'
  | 'malformedChunk'
  | 'answerTokens';

const FLAGS: Record<string, FlagKey> = {
  timeout: 'timeout',
  reset: 'reset',
  malformed: 'malformed',
  'no-done': 'noDone',
  'reject-prefill': 'rejectPrefill',
  'garbage-stream': 'garbageStream',
};

const NUMBERS: Record<string, NumberKey> = {
  'retry-after': 'retryAfterSec',
  latency: 'latencyMs',
  'first-token': 'firstTokenMs',
  'chunk-delay': 'chunkDelayMs',
  'stream-cut': 'streamCut',
  'stream-stall': 'streamStall',
  'stream-reset': 'streamReset',
  'stream-error': 'streamError',
  'malformed-chunk': 'malformedChunk',
  'answer-tokens': 'answerTokens',
};

/** Parse a full spec string. Throws FaultSpecError on anything unrecognised, so typos fail loudly. */
export function parseFaultSpec(spec: FaultSpec): Fault {
  const fault: Fault = {};
  for (const raw of spec.split(',')) {
    const token = raw.trim();
    if (token === '' || token === 'none') continue;
    applyToken(fault, token, spec);
  }
  if (fault.retryAfterSec !== undefined && fault.status === undefined) {
    throw new FaultSpecError(`retry-after needs a status in fault spec "${spec}"`);
  }
  return fault;
}

function applyToken(fault: Fault, token: string, spec: string): void {
  const eq = token.indexOf('=');
  const key = (eq === -1 ? token : token.slice(0, eq)).trim().toLowerCase();
  const value = eq === -1 ? undefined : token.slice(eq + 1).trim();

  const alias = /^fail(\d{3})$/.exec(key);
  if (alias && value === undefined) {
    fault.status = parseStatus(alias[1] ?? '', spec);
    return;
  }
  const flag = FLAGS[key];
  if (flag && value === undefined) {
    fault[flag] = true;
    return;
  }
  if (key === 'status' && value !== undefined) {
    const [code = '', errorCode] = value.split(':');
    fault.status = parseStatus(code, spec);
    if (errorCode !== undefined) fault.errorCode = parseErrorCode(errorCode, spec);
    return;
  }
  const numberKey = NUMBERS[key];
  if (numberKey && value !== undefined) {
    fault[numberKey] = parseNonNegativeInt(value, key, spec);
    return;
  }
  throw new FaultSpecError(`unknown fault token "${token}" in fault spec "${spec}"`);
}

function parseStatus(text: string, spec: string): number {
  const code = Number(text);
  if (!/^\d{3}$/.test(text) || code < 400 || code > 599) {
    throw new FaultSpecError(`status must be a 4xx/5xx code, got "${text}" in fault spec "${spec}"`);
  }
  return code;
}

function parseErrorCode(text: string, spec: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(text)) {
    throw new FaultSpecError(`invalid error code "${text}" in fault spec "${spec}"`);
  }
  return text;
}

function parseNonNegativeInt(text: string, key: string, spec: string): number {
  if (!/^\d+$/.test(text)) {
    throw new FaultSpecError(`${key} needs a non-negative integer, got "${text}" in fault spec "${spec}"`);
  }
  return Number(text);
}

/** Whole-model-name shortcuts: `mock-500`, `mock-timeout`, ... Anything else is a normal model. */
const WHOLE_NAME = /^mock-(\d{3}|timeout|reset|malformed|no-done|reject-prefill)$/;

/**
 * Faults encoded in the upstream model name:
 *   `mock-small+fail500`, `mock-small+latency=300+stream-cut=2` (every `+` part is a spec token),
 *   or a whole name like `mock-500` / `mock-timeout`.
 * A `+` suffix is explicit intent, so an invalid suffix throws rather than being ignored.
 */
export function faultFromModelName(model: string): Fault | undefined {
  const plus = model.indexOf('+');
  if (plus !== -1) {
    return parseFaultSpec(model.slice(plus + 1).split('+').join(','));
  }
  const whole = WHOLE_NAME.exec(model);
  if (!whole) return undefined;
  const name = whole[1] ?? '';
  return parseFaultSpec(/^\d{3}$/.test(name) ? `status=${name}` : name);
}

export interface FaultSources {
  /** Next entry of the queued script for this model, already parsed. */
  queued?: Fault;
  /** Raw `x-mock-fault` header value. */
  header?: string;
  /** Model name as sent by the client. */
  model: string;
}

/**
 * Pick the fault for one request. Sources are not merged: the first present one wins
 * (queued > header > model name), so a queued `none` forces a normal answer.
 */
export function selectFault(sources: FaultSources): Fault {
  if (sources.queued) return sources.queued;
  if (sources.header !== undefined && sources.header.trim() !== '') {
    return parseFaultSpec(sources.header);
  }
  return faultFromModelName(sources.model) ?? {};
}
