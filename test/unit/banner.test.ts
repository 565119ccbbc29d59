import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bannerLog, bannerText } from '../../src/cli/banner';

const info = { url: 'http://127.0.0.1:8080', temporal: '127.0.0.1:7233', demoKey: 'gh_demo-secret-key', demoKeyFile: '/srv/gh/data/demo-key' };

describe('start banner', () => {
  it('off a terminal (logs, pipes) names the demo key file, never the key', () => {
    const text = bannerText(info, false);
    assert.ok(!text.includes(info.demoKey));
    assert.match(text, /Demo key: {4}in \/srv\/gh\/data\/demo-key/);
    assert.match(text, /Bearer \$\(cat \/srv\/gh\/data\/demo-key\)/);
  });

  it('a key from GATEHOUSE_DEMO_KEY is referred to by the variable', () => {
    const text = bannerText({ ...info, demoKeyFile: undefined }, false);
    assert.ok(!text.includes(info.demoKey));
    assert.match(text, /Bearer \$GATEHOUSE_DEMO_KEY/);
  });

  it('names the console', () => {
    assert.match(bannerText(info, false), /Console: {5}http:\/\/127\.0\.0\.1:8080\/console /);
  });

  it('on a terminal shows the key so the curl line can be pasted', () => {
    assert.match(bannerText(info, true), /Bearer gh_demo-secret-key/);
  });
});

describe('start banner as a JSON log line (logs collected off a terminal)', () => {
  it('one readable message with the gateway and Temporal addresses, the same as fields, never the key', () => {
    const { msg, fields } = bannerLog({ ...info, uiUrl: 'http://127.0.0.1:8233' });
    assert.equal(msg, 'Gatehouse is running. Gateway: http://127.0.0.1:8080 Temporal: 127.0.0.1:7233');
    assert.deepEqual(fields, { temporal: info.temporal, gateway: info.url, temporalUi: 'http://127.0.0.1:8233', demoKey: 'in /srv/gh/data/demo-key' });
    assert.ok(!JSON.stringify({ msg, fields }).includes(info.demoKey));
  });

  it('a worker-only process (no HTTP) says so without a gateway address', () => {
    const { msg, fields } = bannerLog({ temporal: info.temporal });
    assert.equal(msg, 'Gatehouse is running. Temporal: 127.0.0.1:7233');
    assert.deepEqual(fields, { temporal: info.temporal });
  });
});
