import { decodeJwt, exportJWK, generateKeyPair, importPKCS8, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import {
  type Client,
  client,
  createTenant,
  loginAdmin,
  loginDemoOwner,
  memberToken,
} from '../../support/client.ts';
import { expectError } from './error-shape.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Replaces a signed token's payload while keeping its header and signature. */
function tamper(token: string, change: (payload: JWTPayload) => JWTPayload): string {
  const [header, payload, signature] = token.split('.');
  const decoded = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as JWTPayload;
  return `${header}.${b64(change(decoded))}.${signature}`;
}

/** Signs any header/payload with an ES256 key by hand (jose refuses to emit some hostile headers). */
async function signRaw(header: unknown, payload: unknown, key: CryptoKey): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('JWT attacks on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let ownerToken: string;
  let viewerToken: string;
  let claims: JWTPayload;
  let ourKey: CryptoKey;
  let foreignAgentId: string;
  let otherTenantId: string;

  /** A token like the ones the API issues, built from `claims`; `edit` adjusts it before signing. */
  async function sign(
    options: {
      payload?: JWTPayload;
      header?: Record<string, unknown>;
      key?: CryptoKey | Uint8Array;
      alg?: string;
      exp?: number | null;
    } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = options.payload ?? { ...claims, iat: now };
    const jwt = new SignJWT(payload).setProtectedHeader({
      alg: options.alg ?? 'ES256',
      typ: 'at+jwt',
      ...options.header,
    });
    if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now + 600);
    return jwt.sign(options.key ?? ourKey);
  }

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    ownerToken = await loginDemoOwner(api);
    viewerToken = (await memberToken(api, ownerToken, 'viewer')).token;
    const { exp: _exp, iat: _iat, ...rest } = decodeJwt(ownerToken);
    claims = rest;
    ourKey = await importPKCS8(target.keys.privateKeyPem, 'ES256');
    const other = await createTenant(api, await loginAdmin(api), 'jwt-other');
    otherTenantId = other.tenantId;
    const agent = await api.post('/v1/agents', { name: 'other tenant agent' }, { token: other.token });
    expect(agent.status).toBe(201);
    foreignAgentId = agent.body.id;
  });
  afterAll(() => target?.close());

  const agents = (token: string) => api.get('/v1/agents', { token });

  it('accepts a well-formed token signed with our key (the control for every case below)', async () => {
    expect(claims).toMatchObject({ tid: target.demoTenantId, role: 'owner' });
    expect((await agents(ownerToken)).status).toBe(200);
    expect((await agents(await sign())).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    const handMade = await signRaw(
      { alg: 'ES256', typ: 'at+jwt' },
      { ...claims, iat: now, exp: now + 600 },
      ourKey,
    );
    expect((await agents(handMade)).status).toBe(200);
    // Header hints are ignored, not followed: only our key verifies.
    const withHints = await sign({
      header: { kid: 'attacker-key', jku: 'https://attacker.example/jwks.json' },
    });
    expect((await agents(withHints)).status).toBe(200);
  });

  it('rejects alg "none", HS256 keyed with our public key, and tokens signed by another key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = { ...claims, iat: now, exp: now + 600 };
    const unsigned = [
      `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(body)}.`,
      `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(body)}`,
      `${b64({ alg: 'None', typ: 'at+jwt' })}.${b64(body)}.`,
      `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64(body)}.`,
    ];
    const hmac = await sign({ alg: 'HS256', key: new TextEncoder().encode(target.keys.publicKeyPem) });
    const foreign = await generateKeyPair('ES256', { extractable: true });
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const foreignJwk = await exportJWK(foreign.publicKey);
    const forged = [
      await sign({ key: foreign.privateKey }),
      await sign({ key: foreign.privateKey, header: { jwk: foreignJwk } }),
      await sign({
        key: foreign.privateKey,
        header: { kid: 'lumay', jku: 'https://attacker.example/jwks.json' },
      }),
      await sign({ key: rsa.privateKey, alg: 'RS256' }),
      await sign({ key: foreign.privateKey, payload: { ...claims, pa: true } }),
    ];
    for (const token of [...unsigned, hmac, ...forged]) {
      expectError(await agents(token), 401, 'unauthorized');
    }
  });

  it('rejects expired tokens as token_expired, and tokens not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign({ payload: { ...claims, iat: now - 3600 }, exp: now - 60 });
    expectError(await agents(expired), 401, 'token_expired');
    const future = await sign({ payload: { ...claims, iat: now, nbf: now + 3600 } });
    expectError(await agents(future), 401, 'unauthorized');
  });

  it('rejects wrong audience, issuer, type, missing claims and unknown critical headers', async () => {
    const now = Math.floor(Date.now() / 1000);
    const without = (name: string) => {
      const payload: Record<string, unknown> = { ...claims, iat: now };
      delete payload[name];
      return payload;
    };
    const cases: [string, () => Promise<string>][] = [
      ['wrong aud', () => sign({ payload: { ...claims, iat: now, aud: 'another-api' } })],
      ['wrong iss', () => sign({ payload: { ...claims, iat: now, iss: 'https://attacker.example' } })],
      ['typ JWT', () => sign({ header: { typ: 'JWT' } })],
      ['typ id-token', () => sign({ header: { typ: 'id_token+jwt' } })],
      ['missing exp', () => sign({ exp: null })],
      ['missing tid', () => sign({ payload: without('tid') })],
      ['missing sub', () => sign({ payload: without('sub') })],
      ['missing role', () => sign({ payload: without('role') })],
      ['missing iat', () => sign({ payload: without('iat') })],
      ['unknown role', () => sign({ payload: { ...claims, iat: now, role: 'superadmin' } })],
      ['tid not a string', () => sign({ payload: { ...claims, iat: now, tid: [otherTenantId] } })],
      [
        'unknown crit',
        () =>
          signRaw(
            { alg: 'ES256', typ: 'at+jwt', crit: ['x-lumay'], 'x-lumay': true },
            { ...claims, iat: now, exp: now + 600 },
            ourKey,
          ),
      ],
    ];
    for (const [label, token] of cases) {
      const response = await agents(await token());
      expect(response.status, label).toBe(401);
      expectError(response, 401, 'unauthorized');
    }
    // The missing typ header must fail too.
    const noTyp = await new SignJWT({ ...claims, iat: now })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime(now + 600)
      .sign(ourKey);
    expectError(await agents(noTyp), 401, 'unauthorized');
  });

  it('rejects a payload tampered after signing (role raised, tenant switched, admin flag set)', async () => {
    const tampered = [
      tamper(viewerToken, (payload) => ({ ...payload, role: 'owner' })),
      tamper(ownerToken, (payload) => ({ ...payload, tid: otherTenantId })),
      tamper(ownerToken, (payload) => ({ ...payload, pa: true })),
      tamper(ownerToken, (payload) => ({ ...payload, exp: (payload.exp ?? 0) + 86_400 })),
    ];
    for (const token of tampered) expectError(await agents(token), 401, 'unauthorized');
    // The untampered viewer token works but cannot write: the role claim is what was signed.
    expectError(await api.post('/v1/agents', { name: 'x' }, { token: viewerToken }), 403, 'forbidden');
    expectError(
      await api.get('/v1/tenants', { token: tamper(ownerToken, (p) => ({ ...p, pa: true })) }),
      401,
    );
  });

  it('rejects malformed bearer values with 401, never 500', async () => {
    const [header = '', payload = '', signature = ''] = ownerToken.split('.');
    const malformed = [
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.extra`,
      `${header}..${signature}`,
      `!!!.${payload}.${signature}`,
      `${header}.${Buffer.from('not json').toString('base64url')}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -4)}AAAA`,
      `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64('a string payload')}.${signature}`,
      'x'.repeat(20_000),
      'a.b.c',
    ];
    for (const token of malformed) expectError(await agents(token), 401, 'unauthorized');
    for (const authorization of [
      `Bearer ${ownerToken} ${ownerToken}`,
      'Bearer',
      `Token ${ownerToken}`,
      ownerToken,
    ]) {
      expectError(await api.get('/v1/agents', { headers: { authorization } }), 401, 'unauthorized');
    }
  });

  it("does not let a valid token read another tenant's agent", async () => {
    expectError(await api.get(`/v1/agents/${foreignAgentId}`, { token: ownerToken }), 404, 'not_found');
    const list = await agents(ownerToken);
    expect(list.text).not.toContain(foreignAgentId);
  });
});
