/**
 * The gateway on a production Temporal server (PostgreSQL persistence, SQL visibility), which starts
 * with no namespace and no search attributes: the gateway registers both itself, as the dev server's
 * flags do locally, and requests run and are found by their attributes exactly as on the dev server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/temporal/searchAttributes';
import { KEYS, auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

/** A logger that keeps its lines, to see what the gateway did at start. */
function recording(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }), lines };
}

describe('a gateway on a production Temporal server', () => {
  // A namespace nobody made: the gateways must register it and its attributes.
  const namespace = `gatehouse-${randomUUID().slice(0, 8)}`;
  const gateways: TestGateway[] = [];
  let connection: Connection;
  let client: Client;
  before(async () => {
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    client = new Client({ connection, namespace });
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await connection?.close();
  });

  it('two gateways starting at once both register the missing namespace and its search attributes', async () => {
    await assert.rejects(connection.workflowService.describeNamespace({ namespace }), /not found/i, 'the namespace does not exist yet');
    const logs = [recording(), recording()];
    gateways.push(...(await Promise.all(logs.map(({ logger }) => startTestGateway({ logger, env: { TEMPORAL_NAMESPACE: namespace } })))));
    const said = logs.flatMap((l) => l.lines).join('');
    assert.match(said, new RegExp(`registering namespace ${namespace}`));
    assert.match(said, /registering search attributes/);
    const described = await connection.workflowService.describeNamespace({ namespace });
    assert.equal(described.namespaceInfo?.name, namespace);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.keys(SEARCH_ATTRIBUTE_TYPES)) assert.equal(customAttributes?.[name], KEYWORD, `${name} is a Keyword`);
  });

  it('answers a chat request, and the request is found by its search attributes', async () => {
    const gw = gateways[0]!;
    const res = await chat(gw.url, hello('hello from a real cluster'), auth(KEYS.support));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, 'Mock answer to: hello from a real cluster');
    const id = res.headers.get('x-gatehouse-request-id')!;
    // SQL visibility is written asynchronously: poll until the closed workflow shows up.
    const query = `GatehouseCaller = "support" AND GatehouseStatus = "completed" AND GatehouseRoute = "chat" AND WorkflowId = "${id}"`;
    let found = 0;
    for (const until = Date.now() + 30_000; found === 0 && Date.now() < until; ) {
      found = (await client.workflow.count(query)).count;
      if (found === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(found, 1, `no workflow matched ${query}`);
    // Every attribute is usable in a query (the memo is encrypted, so count rather than list).
    const all = `GatehouseTeam = "support" AND GatehouseTask = "chat" AND GatehouseModel = "small" AND WorkflowId = "${id}"`;
    assert.equal((await client.workflow.count(all)).count, 1, all);
    assert.equal((await client.workflow.count(`GatehouseModel = "large" AND WorkflowId = "${id}"`)).count, 0, 'and a wrong value matches nothing');
  });

  it('a gateway restarting on the prepared namespace registers nothing and starts normally', async () => {
    const { logger, lines } = recording();
    const again = await startTestGateway({ logger, env: { TEMPORAL_NAMESPACE: namespace } });
    gateways.push(again);
    const res = await chat(again.url, hello('again'), auth(KEYS.support));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.doesNotMatch(lines.join(''), /registering|could not prepare/);
  });
});
