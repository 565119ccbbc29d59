/**
 * The id of a request's child workflow: `<requestId>/webhook`, `<requestId>/shadow`. '/' never
 * occurs in a request id (an idempotency key cannot contain it), so a child can never take the id
 * of a request, another caller's included, nor a request the id of a child. Pure: used by workflows.
 */
export function childWorkflowId(requestId: string, kind: 'webhook' | 'shadow'): string {
  return `${requestId}/${kind}`;
}
