import { patched } from '@temporalio/workflow';
import { childWorkflowId } from '../src/temporal/childIds';

/**
 * The child's workflow id, as the request's history expects it: requests started before ids were
 * scoped recorded `<requestId>-<kind>` and must replay with it (else a held request would fail its
 * workflow tasks after an upgrade); every new request uses the collision-free `<requestId>/<kind>`.
 */
export function childIdOf(requestId: string, kind: 'webhook' | 'shadow'): string {
  return patched('scoped-child-ids') ? childWorkflowId(requestId, kind) : `${requestId}-${kind}`;
}
