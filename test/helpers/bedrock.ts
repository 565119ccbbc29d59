import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash, fromUtf8, toUtf8 } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseConfigObject } from '../../src/config';
import type { Seen } from './replay';

/**
 * Bedrock's documented wire shapes for adapter tests against the replay server: fixed test keys,
 * a SigV4 check, ConverseStream frames in AWS event-stream framing, AWS JSON errors.
 */
export const KEYS = { AWS_ACCESS_KEY_ID: 'AKIDREPLAYEXAMPLE', AWS_SECRET_ACCESS_KEY: 'replay/secret/key/EXAMPLE' };
export const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';

/** A gateway config with one Bedrock provider `aws` (its settings merged in) and one model on it. */
export function bedrockConfig(settings: Record<string, unknown>) {
  return parseConfigObject({
    providers: { aws: { kind: 'bedrock', region: 'us-east-1', ...settings } },
    models: { m: { provider: 'aws', upstream: MODEL } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
}

/** A minimal Converse answer. */
export const converseAnswer = (text: string) => ({ output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } });

/** Re-signs what the server received with the same key and date: equal only if the SDK signed exactly these bytes. */
export async function assertSigned(seen: Seen, keys: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } = KEYS): Promise<void> {
  const auth = String(seen.headers.authorization);
  const amzDate = String(seen.headers['x-amz-date']);
  assert.match(amzDate, /^\d{8}T\d{6}Z$/);
  assert.match(auth, new RegExp(`^AWS4-HMAC-SHA256 Credential=${keys.AWS_ACCESS_KEY_ID}/${amzDate.slice(0, 8)}/us-east-1/bedrock/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$`));
  // The signer trusts x-amz-content-sha256 for the payload: check it is the hash of the body received.
  assert.equal(seen.headers['x-amz-content-sha256'], createHash('sha256').update(seen.raw).digest('hex'));
  const signedNames = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
  const headers = Object.fromEntries(signedNames.map((h) => [h, String(seen.headers[h])]));
  const [hostname, port] = String(seen.headers.host ?? seen.headers[':authority']).split(':');
  const request = new HttpRequest({ method: seen.method, protocol: 'http:', hostname, port: Number(port), path: seen.path, headers, body: seen.raw });
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: keys.AWS_ACCESS_KEY_ID, secretAccessKey: keys.AWS_SECRET_ACCESS_KEY }, sha256: Hash.bind(null, 'sha256') });
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signed = await signer.sign(request, { signingDate: date });
  assert.equal(auth, signed.headers.authorization, 'the SigV4 signature does not match the request received');
}


const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: 'string' as const, value });
/** One ConverseStream event in AWS event-stream framing (prelude, headers, JSON payload, CRCs). */
export const event = (type: string, payload: object) => codec.encode({ headers: { ':message-type': str('event'), ':event-type': str(type), ':content-type': str('application/json') }, body: fromUtf8(JSON.stringify({ ...payload, p: 'abcd' })) });
export const exception = (type: string, message: string) => codec.encode({ headers: { ':message-type': str('exception'), ':exception-type': str(type), ':content-type': str('application/json') }, body: fromUtf8(JSON.stringify({ message })) });
export const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-stream-1' };
export const awsError = (status: number, type: string, message: string, headers: Record<string, string> = {}) => ({ status, headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': 'req-err', ...headers }, json: { message } });
