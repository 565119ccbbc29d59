import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors';

/** Runs `fn`, expects a GatewayError, and returns "<status> <code>" for a compact assertion. */
export function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return `${err.status} ${err.code}`;
  }
  assert.fail('expected a GatewayError');
}

/** `refusal` for an async call: "409 stale_route_table". */
export async function refusalOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return `${err.status} ${err.code}`;
  }
  assert.fail('expected a GatewayError');
}
