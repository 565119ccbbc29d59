import { defineQuery } from '@temporalio/workflow';
import type { RequestStatusView } from '../src/temporal/contract';

/** Shared by the workflow and its clients (the TS client's `status()`). */
export const statusQuery = defineQuery<RequestStatusView>('status');
