import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { RequestView } from '../src/requests/view';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from '../src/webhook/sign';
import type { ActivityDeps } from './deps';

export interface WebhookDelivery {
  requestId: string;
  caller: string;
  view: RequestView;
}

/** One delivery attempt; Temporal retries the activity, so a slow receiver only delays itself. */
const DELIVERY_TIMEOUT_MS = 10_000;

export function createWebhookActivities(deps: ActivityDeps) {
  return {
    /**
     * POSTs the finished request to the caller's webhook, signed with HMAC-SHA256 of the exact body.
     * The timestamp is inside the signed body and in a header, so receivers can refuse stale replays.
     */
    async deliverWebhook(d: WebhookDelivery): Promise<{ status: number }> {
      const hook = deps.config().callers[d.caller]?.webhook;
      if (!hook) return { status: 0 }; // removed from the config since: nothing to deliver
      const secret = (deps.env ?? process.env)[hook.secretEnv];
      if (!secret) throw ApplicationFailure.nonRetryable(`webhook secret ${hook.secretEnv} is not set`, 'WebhookMisconfigured');
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ ...d.view, timestamp });
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'gatehouse-webhook',
          'x-gatehouse-request-id': d.requestId,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signBody(body, secret),
        },
        body,
        // A redirect would re-send the signed result wherever the receiver points: never followed.
        redirect: 'manual',
        signal: AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      await res.body?.cancel();
      if (res.status >= 300 && res.status < 400) {
        throw ApplicationFailure.nonRetryable(`webhook ${hook.url} answered HTTP ${res.status} (a redirect); redirects are not followed, configure the final URL`, 'WebhookRedirected');
      }
      if (!res.ok) throw ApplicationFailure.retryable(`webhook ${hook.url} answered HTTP ${res.status}`, 'WebhookRejected');
      deps.logger.info({ requestId: d.requestId, caller: d.caller, status: res.status }, 'webhook delivered');
      return { status: res.status };
    },
  };
}
