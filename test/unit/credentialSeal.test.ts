import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decisionDigest, hashApiKey, loadCredentialKeys, type SealBinding } from '../../src/auth';
import { parseEnvelope } from '../../src/auth/envelope';
import { hpkeOpen, hpkeSeal, x25519PrivateKey } from '../../src/auth/hpke';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cred-'));
const KEY = 'gh_planted-raw-key-0123456789';
const start = (workflowId: string): SealBinding => ({ workflowId, purpose: 'start' });

describe('sealed credentials (HPKE to the workers)', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  const workers = loadCredentialKeys({}, dir, { open: true });
  const opener = workers.opener!;
  const code = (p: Promise<unknown>) => p.then(() => 'opened', (e: { code: string }) => e.code);

  it('a front door with only the public key seals; a worker opens the key hash, never the key', async () => {
    const frontDoor = loadCredentialKeys({}, dir, { open: false });
    assert.equal(frontDoor.opener, undefined);
    const t = Date.now();
    const envelope = await frontDoor.sealer.seal(KEY, start('req-a'), t);
    assert.ok(parseEnvelope(envelope));
    assert.ok(!envelope.includes(KEY) && !envelope.includes(hashApiKey(KEY).slice(7, 30)));
    assert.equal(await opener.open(envelope, start('req-a'), { startedAtMs: t + 500 }), hashApiKey(KEY));
  });

  it('the private key file is made once, mode 0600', () => {
    assert.equal(statSync(join(dir, 'credential-key')).mode & 0o777, 0o600);
    assert.equal(loadCredentialKeys({}, dir, { open: false }).sealer.kid, workers.sealer.kid);
  });

  it('refuses another workflow id, another purpose, another decision, a tampered or raw value, with stable codes', async () => {
    const t = Date.now();
    const w = { startedAtMs: t, nowMs: t };
    const sealed = await workers.sealer.seal(KEY, start('req-a'), t);
    assert.equal(await code(opener.open(sealed, start('req-b'), w)), 'credential_invalid');
    assert.equal(await code(opener.open(sealed, { workflowId: 'req-a', purpose: 'review', decisionDigest: decisionDigest({ action: 'approve' }) }, w)), 'credential_invalid');
    const approve = await workers.sealer.seal(KEY, { workflowId: 'req-a', purpose: 'review', decisionDigest: decisionDigest({ action: 'approve' }) }, t);
    const asReject = { workflowId: 'req-a', purpose: 'review', decisionDigest: decisionDigest({ action: 'reject', reason: 'x' }) } as const;
    assert.equal(await code(opener.open(approve, asReject, w)), 'credential_invalid');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'BB' : 'AA');
    assert.equal(await code(opener.open(tampered, start('req-a'), w)), 'credential_invalid');
    assert.equal(await code(opener.open(KEY, start('req-a'), w)), 'credential_not_sealed');
    assert.equal(await code(opener.open(undefined, start('req-a'), w)), 'missing_api_key');
  });

  it('checks the issue time against the workflow times it is given (so a replay decides the same)', async () => {
    const t = 1_800_000_000_000;
    const sealed = await workers.sealer.seal(KEY, start('req-t'), t);
    assert.equal(await code(opener.open(sealed, start('req-t'), { startedAtMs: t + 1_000 })), 'opened');
    assert.equal(await code(opener.open(sealed, start('req-t'), { startedAtMs: t + 1_000 })), 'opened', 'same inputs, same answer');
    assert.equal(await code(opener.open(sealed, start('req-t'), { startedAtMs: t + 10 * 60_000 })), 'credential_expired');
    assert.equal(await code(opener.open(sealed, start('req-t'), { startedAtMs: t - 10 * 60_000 })), 'credential_expired');
    const review = { workflowId: 'req-t', purpose: 'review', decisionDigest: decisionDigest({ action: 'approve' }) } as const;
    const r = await workers.sealer.seal(KEY, review, t);
    assert.equal(await code(opener.open(r, review, { startedAtMs: t - 3_600_000, nowMs: t + 1_000 })), 'opened', 'a review hours after the start');
    assert.equal(await code(opener.open(r, review, { startedAtMs: t - 3_600_000, nowMs: t + 10 * 60_000 })), 'credential_expired');
    assert.equal(await code(opener.open(r, review, { startedAtMs: t + 3_600_000, nowMs: t + 3_600_000 })), 'credential_expired', 'issued before the workflow existed');
  });

  it('an envelope sealed to another key pair is refused as unknown; a rotated-out key still opens', async () => {
    const other = mkdtempSync(join(tmpdir(), 'gatehouse-cred-other-'));
    try {
      const foreign = loadCredentialKeys({}, other, { open: true });
      const t = Date.now();
      const sealed = await foreign.sealer.seal(KEY, start('req-x'), t);
      assert.equal(await code(opener.open(sealed, start('req-x'), { startedAtMs: t })), 'credential_key_unknown');
      const both = [readFileSync(join(dir, 'credential-key'), 'utf8').trim(), readFileSync(join(other, 'credential-key'), 'utf8').trim()].join(',');
      const rotated = loadCredentialKeys({ GATEHOUSE_CREDENTIAL_KEY: both }, '/nonexistent', { open: true });
      assert.equal(rotated.sealer.kid, workers.sealer.kid, 'the first key seals');
      assert.equal(await rotated.opener!.open(sealed, start('req-x'), { startedAtMs: t }), hashApiKey(KEY));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('HPKE on node:crypto agrees with @hpke/core (the reference implementation)', () => {
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const ab = (b: Buffer) => new Uint8Array(b).buffer;

  it('what this code seals, @hpke/core opens, and the other way round; a wrong aad or info fails both', async () => {
    for (let i = 0; i < 20; i++) {
      const sk = randomBytes(32);
      const me = x25519PrivateKey(sk);
      const info = randomBytes(i);
      const aad = randomBytes(40 - i);
      const message = randomBytes(1 + i * 7);
      const ours = hpkeSeal(me.publicKey, info, aad, message);
      const recipientKey = await suite.kem.deserializePrivateKey(ab(sk));
      assert.deepEqual(Buffer.from(await suite.open({ recipientKey, enc: ab(ours.enc), info: ab(info) }, ab(ours.ct), ab(aad))), message);
      await assert.rejects(suite.open({ recipientKey, enc: ab(ours.enc), info: ab(info) }, ab(ours.ct), ab(Buffer.concat([aad, Buffer.from('x')]))));
      const theirs = await suite.seal({ recipientPublicKey: await suite.kem.deserializePublicKey(ab(me.publicKey)), info: ab(info) }, ab(message), ab(aad));
      assert.deepEqual(hpkeOpen(me, Buffer.from(theirs.enc), info, aad, Buffer.from(theirs.ct)), message);
      assert.throws(() => hpkeOpen(me, Buffer.from(theirs.enc), Buffer.concat([info, Buffer.from('x')]), aad, Buffer.from(theirs.ct)));
    }
  });
});
