import type { Client } from '@temporalio/client';

/**
 * The activity types of a request's local-activity markers, in order. Core writes a marker's
 * bookkeeping (not its result, which goes through the codec) as plain JSON.
 */
export async function localActivityTypes(client: Client, requestId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(requestId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data).toString()) as { activity_type: string }).activity_type] : [];
  });
}
