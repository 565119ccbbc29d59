/**
 * A request answered by the first try made in admission's step ends in that step: its search
 * attributes are one upsert (who, where, how it ended) instead of one at admission and one at the
 * end. The choice is carried by the step's marker (`searchOnce`), so a history recorded before it
 * (no flag, two upserts) still replays on today's bundle, and the flag is what decides: the same
 * old history with the flag put back is refused as nondeterministic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { loadCodec } from '../../src/temporal/codec';
import { gatehouseDataConverter } from '../../src/temporal/dataConverter';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';

type History = temporal.api.history.v1.IHistory;
type Event = temporal.api.history.v1.IHistoryEvent;
const UPSERT = 'upsertWorkflowSearchAttributesEventAttributes';
const ADMISSION_KEYS = ['GatehouseCaller', 'GatehouseTeam', 'GatehouseTask', 'GatehouseRoute'];

describe('a request answered in admission\'s step: its history', () => {
  let gw: TestGateway;
  let converter: ReturnType<typeof gatehouseDataConverter>;
  before(async () => {
    gw = await startTestGateway({
      config: (u) => {
        const c = testConfig(u) as { routes: Array<Record<string, unknown>> };
        for (const r of c.routes) r.providerCall = 'local';
        return c;
      },
    });
    converter = gatehouseDataConverter(loadCodec(gw.env, join(gw.dir, 'codec-key')));
  });
  after(() => gw?.close());

  const replay = (history: History, id: string) =>
    Worker.runReplayHistory({ workflowBundle: { codePath: process.env.GATEHOUSE_TEST_WORKFLOW_BUNDLE! }, dataConverter: converter }, history, id);
  const upserts = (h: History) => (h.events ?? []).filter((e) => e[UPSERT]);
  const keys = (e: Event) => Object.keys(e[UPSERT]!.searchAttributes!.indexedFields!).sort();

  /** The prepare marker's result, decoded; `edit` changes it and it is encoded back in place. */
  async function editMarker(e: Event, edit: (prepared: Record<string, unknown>) => void): Promise<void> {
    const result = e.markerRecordedEventAttributes!.details!.result!;
    const [decoded] = await converter.payloadCodecs![0]!.decode([result.payloads![0]!]);
    const prepared = defaultPayloadConverter.fromPayload<Record<string, unknown>>(decoded!);
    edit(prepared);
    const [encoded] = await converter.payloadCodecs![0]!.encode([defaultPayloadConverter.toPayload(prepared)]);
    result.payloads = [encoded!];
  }

  /** The same history as Gatehouse wrote it before `searchOnce`: admission's attributes in their own upsert after the marker. */
  async function asBefore(h: History, keepFlag: boolean): Promise<History> {
    const events = structuredClone(h.events ?? []) as Event[];
    const marker = events.find((e) => e.markerRecordedEventAttributes)!;
    if (!keepFlag) await editMarker(marker, (p) => delete p.searchOnce);
    const end = events.find((e) => e[UPSERT])!;
    const fields = end[UPSERT]!.searchAttributes!.indexedFields!;
    const admission = { ...end, [UPSERT]: { searchAttributes: { indexedFields: Object.fromEntries(ADMISSION_KEYS.map((k) => [k, fields[k]!])) } } };
    for (const k of ADMISSION_KEYS) delete fields[k];
    events.splice(events.indexOf(end), 0, admission);
    events.forEach((e, i) => ((e as { eventId: unknown }).eventId = i + 1)); // renumbered after the insert
    return { events };
  }

  it('writes its search attributes in one upsert, replays, and a history from before (two upserts) replays too', async () => {
    const res = await chat(gw.url, hello('once'), { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const id = res.headers.get('x-gatehouse-request-id')!;
    const history = await gw.client.workflow.getHandle(id).fetchHistory();
    const one = upserts(history);
    assert.equal(one.length, 1, 'one upsert');
    assert.deepEqual(keys(one[0]!), [...ADMISSION_KEYS, 'GatehouseModel', 'GatehouseStatus'].sort());
    const attrs = (await gw.client.workflow.getHandle(id).describe()).searchAttributes;
    assert.deepEqual([attrs.GatehouseCaller, attrs.GatehouseRoute, attrs.GatehouseStatus], [['support'], ['chat'], ['completed']]);
    await replay(history, id);

    const before = await asBefore(history, false);
    assert.equal(upserts(before).length, 2);
    await replay(before, id);
    // The flag decides: the old shape with the flag put back does not match what the code does.
    await assert.rejects(replay(await asBefore(history, true), id), /[Nn]ondetermin/);
  });
});
