import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientRequestSchema } from '../../src/config';
import { childWorkflowId } from '../../src/temporal/childIds';
import { credentialTag, requestWorkflowId } from '../../src/temporal/requestStarter';

const ALICE = 'test-key-alice-0123456789abcdef';
const BOB = 'test-key-bob-0123456789abcdef';

describe('request ids', () => {
  it('two callers with the same idempotency key get two request ids; one caller gets the same id twice', () => {
    assert.notEqual(requestWorkflowId(ALICE, 'order-1'), requestWorkflowId(BOB, 'order-1'));
    assert.equal(requestWorkflowId(ALICE, 'order-1'), requestWorkflowId(ALICE, 'order-1'));
    assert.equal(requestWorkflowId(ALICE, 'order-1'), `req-${credentialTag(ALICE)}-order-1`);
  });

  it('the id shows a tag of the key, never the key', () => {
    const id = requestWorkflowId(ALICE, 'k');
    assert.ok(!id.includes(ALICE));
    assert.match(credentialTag(ALICE), /^[0-9a-f]{16}$/);
  });

  it('without a key every request is fresh', () => {
    assert.match(requestWorkflowId(ALICE), /^req-[0-9a-f-]{36}$/);
    assert.notEqual(requestWorkflowId(ALICE), requestWorkflowId(ALICE));
  });

  it("a child's id can never be a request's: the key alphabet has no '/'", () => {
    const child = childWorkflowId(requestWorkflowId(ALICE, 'x'), 'webhook');
    assert.equal(child, `req-${credentialTag(ALICE)}-x/webhook`);
    // What a key would need to take a child's id is refused (the client's schema; HTTP has the same pattern).
    const body = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };
    assert.equal(ClientRequestSchema.safeParse({ body, requestId: 'x/webhook' }).success, false);
    assert.equal(ClientRequestSchema.safeParse({ body, requestId: 'x-webhook' }).success, true);
  });
});
