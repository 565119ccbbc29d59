import { after, before, it } from 'node:test';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { as, releaseConfig } from '../helpers/release';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ config: (u) => {
    const c: any = releaseConfig(u);
    c.models.small.upstream = 'mock-small+latency=200';
    c.models.shad.upstream = 'mock-shad+latency=200';
    return c;
  } });
});
after(() => gw?.close());

it('timing', async () => {
  for (const task of ['chat', 'shadowed', 'chat', 'shadowed']) {
    const times: number[] = [];
    let id = '';
    for (let i = 0; i < 15; i++) {
      const t = Date.now();
      const r = await chat(gw.url, hello(`t ${i}`), { ...as('caller'), 'x-gatehouse-task': task });
      times.push(Date.now() - t);
      id = r.json.gatehouse.request_id;
    }
    times.sort((a, b) => a - b);
    console.log(task, 'p50', times[7], 'min', times[0]);
    if (task === 'shadowed' && process.env.SHOW) {
      const h = await gw.client.workflow.getHandle(id).fetchHistory();
      const t0 = Number(h.events![0]!.eventTime!.seconds) * 1000 + h.events![0]!.eventTime!.nanos! / 1e6;
      for (const e of h.events!) {
        const t = Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
        console.log(String(Math.round(t - t0)).padStart(5), e.eventType);
      }
    }
  }
});
