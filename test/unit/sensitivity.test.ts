// Unit tests for src/policy/sensitivity: one table per detector (positives and
// tricky negatives), the checksum helpers, redaction and classification.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyFindings, DATA_CLASS_ORDER, detectSensitive, ibanChecksumValid, isValidIban, isValidSsn, KIND_DATA_CLASS,
  luhnValid, maxClass, redact, summarizeKinds, type Finding, type SensitiveKind,
} from '../../src/policy/sensitivity/index';

/** [kind, matched text] pairs — what the detector found, in order. */
function found(text: string): Array<[SensitiveKind, string]> {
  return detectSensitive(text).map((f) => [f.kind, text.slice(f.start, f.end)]);
}

type Case = [text: string, expected: Array<[SensitiveKind, string]>];

function runTable(cases: readonly Case[]): void {
  for (const [text, expected] of cases) {
    it(JSON.stringify(text.length > 70 ? `${text.slice(0, 67)}...` : text), () => assert.deepEqual(found(text), expected));
  }
}

const RSA_BODY = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK';

describe('emails', () => runTable([
  ['mail jane.doe@example.com today', [['email', 'jane.doe@example.com']]],
  ['<ops+alerts@sub.corp.example.org>', [['email', 'ops+alerts@sub.corp.example.org']]],
  ['git clone git@github.com:acme/repo.git', []],
  ['use logo@2x.png and npm i lodash@4.17.21 and @types/node', []],
  ['root@localhost has no TLD', []],
]));

describe('phones', () => runTable([
  ['call +1 415 555 0132 now', [['phone', '+1 415 555 0132']]],
  ['E.164: +14155550132.', [['phone', '+14155550132']]],
  ['office (212) 555-0187 or 212.555.0187', [['phone', '(212) 555-0187'], ['phone', '212.555.0187']]],
  ['+44 20 7946 0958 and +49 (0)151 23456789', [['phone', '+44 20 7946 0958'], ['phone', '+49 (0)151 23456789']]],
  ['mobile: 06 12 34 56 78', [['phone', '06 12 34 56 78']]],
  ['released 2024-01-15, version 10.2.3.4, build 1234567890', []],
  ['host 192.168.100.200 port 8080, ZIP 94105-1234', []],
  ['call me on 12.03.2024 please', []],
  ['UTC+5:30 and +21.5°C', []],
]));

describe('payment cards', () => runTable([
  ['card 4111 1111 1111 1111 exp 12/27', [['payment_card', '4111 1111 1111 1111']]],
  ['mc 5555-5555-5555-4444', [['payment_card', '5555-5555-5555-4444']]],
  ['amex 3782 822463 10005', [['payment_card', '3782 822463 10005']]],
  ['discover 6011111111111117.', [['payment_card', '6011111111111117']]],
  ['luhn-failing 4111 1111 1111 1112', []],
  ['luhn-valid but no issuer 1234 5678 9012 3452', []],
  ['odd grouping 4111 11 1111 1111 11', []],
  ['USPS 9400 1000 0000 0000 0000 00', []],
  ['slice of a longer number 41111111111111110000', []],
  ['decimal 4111111111111111.25', []],
]));

describe('US SSNs', () => runTable([
  ['SSN 123-45-6789 on file', [['us_ssn', '123-45-6789']]],
  ['social security number: 123 45 6789', [['us_ssn', '123 45 6789']]],
  ['area 000-12-3456, 666-12-3456, 900-12-3456', []],
  ['group 123-00-4567, serial 123-45-0000', []],
  ['order 123 45 6789 has no SSN context', []],
  ['ISBN 978-3-16-148410-0 and part AB-123-45-6789', []],
]));

describe('IBANs', () => runTable([
  ['pay DE89 3704 0044 0532 0130 00 EUR', [['iban', 'DE89 3704 0044 0532 0130 00']]],
  ['GB82WEST12345698765432', [['iban', 'GB82WEST12345698765432']]],
  ['iban: NL91ABNA0417164300.', [['iban', 'NL91ABNA0417164300']]],
  ['bad check DE88 3704 0044 0532 0130 00', []],
  ['wrong length DE89 3704 0044 0532 0130', []],
  ['unknown country ZZ12 3456 7890 1234', []],
]));

describe('API keys and tokens', () => runTable([
  ['key sk-proj-AbC123dEf456GhI789jKl012MnO345 ok', [['api_key', 'sk-proj-AbC123dEf456GhI789jKl012MnO345']]],
  ['sk-ant-api03-Xy12Ab34Cd56Ef78Gh90Ij12Kl34Mn56-AA', [['api_key', 'sk-ant-api03-Xy12Ab34Cd56Ef78Gh90Ij12Kl34Mn56-AA']]],
  ['id AKIAIOSFODNN7EXAMPLE', [['api_key', 'AKIAIOSFODNN7EXAMPLE']]],
  ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', [['api_key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']]],
  ['ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5', [['api_key', 'ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5']]],
  ['SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', [['api_key', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx']]],
  ['stripe rk_live_51HxYzAbCdEfGhIjKlMnOp', [['api_key', 'rk_live_51HxYzAbCdEfGhIjKlMnOp']]],
  ['AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', [['api_key', 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q']]],
  ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk', [['api_key', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk']]],
  ['Authorization: Bearer 9fK2mP4xQ7vL1nR8tY3w', [['api_key', '9fK2mP4xQ7vL1nR8tY3w']]],
  ['Authorization: Bearer YOUR_ACCESS_TOKEN_HERE', []],
  ['Authorization: Basic dXNlcjpwYXNzd29yZA==', [['api_key', 'dXNlcjpwYXNzd29yZA==']]],
  ['the Basic plan costs $10 and Basic SGVsbG8gd29ybGQ= is not a credential', []],
  ['OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx', []],
  ['ask-me-anything-about-this-long-kebab-slug and task-force-alpha-bravo', []],
]));

describe('private keys', () => {
  runTable([
    [`x\n-----BEGIN RSA PRIVATE KEY-----\n${RSA_BODY}\n-----END RSA PRIVATE KEY-----\ny`, [['private_key', `-----BEGIN RSA PRIVATE KEY-----\n${RSA_BODY}\n-----END RSA PRIVATE KEY-----`]]],
    [`truncated -----BEGIN PRIVATE KEY-----\n${RSA_BODY}`, [['private_key', `-----BEGIN PRIVATE KEY-----\n${RSA_BODY}`]]],
    ['client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF', [['private_key', 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF']]],
    [`-----BEGIN PUBLIC KEY-----\n${RSA_BODY}\n-----END PUBLIC KEY-----`, []],
    [`-----BEGIN CERTIFICATE-----\n${RSA_BODY}\n-----END CERTIFICATE-----`, []],
    ['the "-----BEGIN PRIVATE KEY-----" header is missing', []],
  ]);
});

describe('generic secrets', () => runTable([
  ['DB_PASSWORD=Xk9#mP2$vL7q', [['high_entropy_secret', 'Xk9#mP2$vL7q']]],
  ['"client_secret": "q8Z1v0NwR4sT6uY2xA3bC5dE"', [['high_entropy_secret', 'q8Z1v0NwR4sT6uY2xA3bC5dE']]],
  ['my password is Summer42!abc.', [['high_entropy_secret', 'Summer42!abc']]],
  ['postgres://app:s3cretPassw0rd@db:5432/x', [['high_entropy_secret', 's3cretPassw0rd']]],
  ['webhook secret 5f4dcc3b5aa765d61d8327deb882cf99aa', [['high_entropy_secret', '5f4dcc3b5aa765d61d8327deb882cf99aa']]],
  ['blob Zx8Qw2Lm5Np7Rt4Vb1Kc9Hs3 in the logs', [['high_entropy_secret', 'Zx8Qw2Lm5Np7Rt4Vb1Kc9Hs3']]],
  ['password: ********, token: null, secret=${SECRET}, api_key=<your-key>', []],
  ['apiKey: process.env.OPENAI_API_KEY!, secret: config.get("jwt")', []],
  ['max_tokens=4096, token_count: 1200000, password_policy=strict', []],
  ['commit 3f9a2b7c1d4e5f60718293a4b5c6d7e8f9012345 and uuid 123e4567-e89b-42d3-a456-426614174000', []],
  ['GPG key: F3EF5F62A87FC27A22E643F714CE4FF5015AA242', []],
  ['hostname Davids-MacBook-Pro-3 handleOAuth2CallbackRequest UserAccountSettingsControllerV2', []],
  ['https://docs.example.com/d/1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT/edit', []],
  ['"integrity": "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="', []],
  ['decode SGVsbG8sIHdvcmxkIQ== please', []],
  ['ids chatcmpl-8fK2mP9xQ4vL7nR3tY6wZ1aB and cus_NffrFeUfNV2Hib', []],
]));

describe('overlaps', () => runTable([
  ['OPENAI_API_KEY=sk-proj-AbC123dEf456GhI789jKl012MnO345', [['api_key', 'sk-proj-AbC123dEf456GhI789jKl012MnO345']]],
  ['IBAN DE89370400440532013000 then 4111111111111111', [['iban', 'DE89370400440532013000'], ['payment_card', '4111111111111111']]],
]));

describe('checksums and ranges', () => {
  it('luhnValid', () => {
    for (const ok of ['4111111111111111', '378282246310005', '79927398713', '0']) assert.equal(luhnValid(ok), true, ok);
    for (const bad of ['4111111111111112', '79927398710', '', '4111-1111']) assert.equal(luhnValid(bad), false, bad);
  });
  it('isValidSsn', () => {
    assert.equal(isValidSsn('123', '45', '6789'), true);
    assert.equal(isValidSsn('899', '99', '9999'), true);
    for (const [a, g, s] of [['000', '45', '6789'], ['666', '45', '6789'], ['900', '45', '6789'], ['999', '45', '6789'], ['123', '00', '6789'], ['123', '45', '0000']]) {
      assert.equal(isValidSsn(a ?? '', g ?? '', s ?? ''), false, `${a}-${g}-${s}`);
    }
  });
  it('IBAN mod-97 and length table', () => {
    for (const ok of ['DE89370400440532013000', 'GB29NWBK60161331926819', 'FR1420041010050500013M02606', 'NO9386011117947', 'MT84MALT011000012345MTLCAST001S']) {
      assert.equal(ibanChecksumValid(ok), true, ok);
      assert.equal(isValidIban(ok), true, ok);
    }
    assert.equal(ibanChecksumValid('DE89370400440532013001'), false);
    assert.equal(isValidIban('DE8937040044053201300'), false); // one char short
    assert.equal(isValidIban('GB29 NWBK 6016 1331 9268 19'), true);
  });
});

describe('redact', () => {
  it('replaces each span with its kind marker and keeps the rest', () => {
    const text = 'Mail jane@example.com, card 4111 1111 1111 1111.';
    assert.equal(redact(text, detectSensitive(text)), 'Mail [REDACTED:email], card [REDACTED:payment_card].');
  });
  it('keeps assignment names and redacts only the value', () => {
    const text = 'POSTGRES_PASSWORD: Xk9#mP2$vL7q\nPOSTGRES_DB: orders';
    assert.equal(redact(text, detectSensitive(text)), 'POSTGRES_PASSWORD: [REDACTED:high_entropy_secret]\nPOSTGRES_DB: orders');
  });
  it('returns text unchanged with no findings', () => assert.equal(redact('nothing here', []), 'nothing here'));
  it('absorbs overlapping hand-built findings instead of leaking their tail', () => {
    const findings: Finding[] = [{ kind: 'api_key', start: 2, end: 6 }, { kind: 'email', start: 4, end: 8 }];
    assert.equal(redact('0123456789', findings), '01[REDACTED:api_key]89');
  });
});

describe('classification', () => {
  it('maps kinds to classes', () => {
    assert.equal(classifyFindings([]), 'public');
    assert.equal(classifyFindings(detectSensitive('reach me at jane@example.com')), 'confidential');
    assert.equal(classifyFindings(detectSensitive('jane@example.com, SSN 123-45-6789')), 'restricted');
    assert.equal(KIND_DATA_CLASS.phone, 'confidential');
    for (const kind of ['payment_card', 'us_ssn', 'iban', 'api_key', 'private_key', 'high_entropy_secret'] as const) assert.equal(KIND_DATA_CLASS[kind], 'restricted');
  });
  it('orders classes', () => {
    assert.deepEqual(DATA_CLASS_ORDER, ['public', 'internal', 'confidential', 'restricted']);
    assert.equal(maxClass('internal', 'confidential'), 'confidential');
    assert.equal(maxClass('restricted', 'public'), 'restricted');
    assert.equal(maxClass('internal', 'internal'), 'internal');
  });
  it('summarizes unique kinds in sorted order', () => {
    const findings = detectSensitive('b@example.com a@example.com SSN 123-45-6789 +1 415 555 0132');
    assert.deepEqual(summarizeKinds(findings), ['email', 'phone', 'us_ssn']);
  });
  it('findings are sorted, disjoint and carry no value', () => {
    const findings = detectSensitive('jane@example.com 4111111111111111 DE89370400440532013000 SSN 123-45-6789');
    for (const [i, f] of findings.entries()) {
      assert.deepEqual(Object.keys(f).sort(), ['end', 'kind', 'start']);
      const next = findings[i + 1];
      if (next) assert.ok(f.end <= next.start);
    }
  });
});
