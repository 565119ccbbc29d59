import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path (`failureConverterPath`) in the workflow bundle, the worker and every client:
 * failure messages and stack traces go into the failure's encoded attributes, so the payload codec
 * encrypts them like any payload (they can carry caller strings, provider error text and reviewers'
 * reasons). Only the failure type (e.g. `PolicyDenied`) stays readable in the history.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
