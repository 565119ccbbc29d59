import { ParentClosePolicy, isCancellation, log, proxyActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WebhookDelivery } from '../activities/webhook';
import { GatewayError, fromFailure } from '../src/errors';
import { cancelledView, failedView, type RequestView } from '../src/requests/view';
import { childIdOf } from './childIds';

/** A receiver that is down for a while still gets the result: retries for about an hour, then give up. */
const delivery = proxyActivities<Pick<Activities, 'deliverWebhook'>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 20, nonRetryableErrorTypes: ['WebhookMisconfigured'] },
});

/**
 * Tells the caller's webhook how the request ended (called only when it has one: see prepareRequest). The delivery runs in its own
 * workflow, abandoned by this one, so a slow or failing receiver never delays the caller's answer:
 * the request only waits for the child to start. Never rejects: the request's outcome is already
 * decided (and recorded in the ledger), and a notification that cannot start must not change it.
 */
export async function notifyWebhook(requestId: string, caller: string | undefined, view: RequestView): Promise<void> {
  if (!caller) return;
  try {
    await startChild(webhookDelivery, {
      workflowId: childIdOf(requestId, 'webhook'),
      args: [{ requestId, caller, view }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (isCancellation(err)) throw err; // callers run this in a non-cancellable scope; never expected
    log.warn('webhook delivery not started', { requestId, error: String(err) });
  }
}

/** Child workflow: one signed POST, retried by Temporal until the receiver says 2xx. */
export async function webhookDelivery(d: WebhookDelivery): Promise<void> {
  await delivery.deliverWebhook(d);
}

/** The webhook body for a request that ended in an error: the same error the caller would get over HTTP. */
export function failureView(requestId: string, err: unknown): RequestView {
  if (isCancellation(err)) return cancelledView(requestId);
  return failedView(requestId, fromFailure(err) ?? new GatewayError('Internal', 'internal_error', 'The gateway failed to process the request'));
}
