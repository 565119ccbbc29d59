import type { DataConverter, PayloadCodec } from '@temporalio/common';

/** The module exporting the gateway's failure converter (bundled into workflows by path). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failureConverter');

/** The one data converter of worker, front door, TS client and tests: encrypted payloads and failures. */
export function gatehouseDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
