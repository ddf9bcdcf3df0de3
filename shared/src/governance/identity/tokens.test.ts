import { exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../core/index.ts';
import { createTokenService, generateTokenKeys, type TokenService } from './tokens.ts';

const claims = { userId: 'usr_1', tenantId: 'ten_1', role: 'builder' as const, isPlatformAdmin: false };
const options = { issuer: 'lumay-unit', audience: 'lumay-unit-api', accessTokenTtlSeconds: 900 };

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the token to be refused');
}

describe('token service', () => {
  let keys: { privateKeyPem: string; publicKeyPem: string };
  let service: TokenService;

  beforeAll(async () => {
    keys = await generateTokenKeys();
    service = await createTokenService({ ...keys, ...options });
  });

  it('round-trips claims through issue and verify', async () => {
    const token = await service.issueAccessToken(claims);
    expect(await service.verifyAccessToken(token)).toEqual(claims);
    const admin = await service.issueAccessToken({ ...claims, role: 'owner', isPlatformAdmin: true });
    expect(await service.verifyAccessToken(admin)).toEqual({
      ...claims,
      role: 'owner',
      isPlatformAdmin: true,
    });
    expect(service.accessTokenTtlSeconds).toBe(900);
  });

  it('pins ES256, at+jwt, issuer, audience and expiry into the token', async () => {
    const token = await service.issueAccessToken(claims);
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: 'usr_1',
      tid: 'ten_1',
      role: 'builder',
      iss: options.issuer,
      aud: options.audience,
    });
    expect(payload.exp - payload.iat).toBe(900);
    expect(payload.jti).toMatch(/^req_/);
  });

  it('accepts PEM keys with escaped newlines (as env files carry them)', async () => {
    const escaped = await createTokenService({
      privateKeyPem: keys.privateKeyPem.replace(/\n/g, '\\n'),
      publicKeyPem: keys.publicKeyPem.replace(/\n/g, '\\n'),
      ...options,
    });
    expect(await escaped.verifyAccessToken(await service.issueAccessToken(claims))).toEqual(claims);
  });

  it('refuses tokens from another key, issuer or audience', async () => {
    const token = await service.issueAccessToken(claims);
    const otherKey = await createTokenService({ ...(await generateTokenKeys()), ...options });
    const otherIssuer = await createTokenService({ ...keys, ...options, issuer: 'someone-else' });
    const otherAudience = await createTokenService({ ...keys, ...options, audience: 'other-api' });
    for (const verifier of [otherKey, otherIssuer, otherAudience]) {
      expect((await rejection(verifier.verifyAccessToken(token))).code).toBe('unauthorized');
    }
  });

  it('refuses a tampered payload or signature', async () => {
    const token = await service.issueAccessToken(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const elevated = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'owner' }),
    ).toString('base64url');
    expect((await rejection(service.verifyAccessToken(`${header}.${elevated}.${signature}`))).code).toBe(
      'unauthorized',
    );
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await rejection(service.verifyAccessToken(`${header}.${payload}.${flipped}`))).code).toBe(
      'unauthorized',
    );
    expect((await rejection(service.verifyAccessToken('not-a-jwt'))).code).toBe('unauthorized');
  });

  it('refuses alg:none and other algorithms', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = {
      sub: 'usr_1',
      tid: 'ten_1',
      role: 'owner',
      iss: options.issuer,
      aud: options.audience,
      iat: now,
      exp: now + 60,
    };
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.`;
    expect((await rejection(service.verifyAccessToken(unsigned))).code).toBe('unauthorized');

    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    expect(await exportPKCS8(privateKey)).toContain('PRIVATE KEY');
    const es384 = await new SignJWT(body)
      .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt' })
      .sign(privateKey);
    expect((await rejection(service.verifyAccessToken(es384))).code).toBe('unauthorized');
  });

  it('refuses a JWT of another type signed with the same key, and one with an unknown role', async () => {
    const { importPKCS8 } = await import('jose');
    const privateKey = await importPKCS8(keys.privateKeyPem, 'ES256');
    const now = Math.floor(Date.now() / 1000);
    const base = {
      sub: 'usr_1',
      tid: 'ten_1',
      iss: options.issuer,
      aud: options.audience,
      iat: now,
      exp: now + 60,
    };
    const idToken = await new SignJWT({ ...base, role: 'owner' })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .sign(privateKey);
    expect((await rejection(service.verifyAccessToken(idToken))).code).toBe('unauthorized');
    const godRole = await new SignJWT({ ...base, role: 'god' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .sign(privateKey);
    expect((await rejection(service.verifyAccessToken(godRole))).code).toBe('unauthorized');
    const noTenant = await new SignJWT({
      sub: 'usr_1',
      role: 'owner',
      iss: options.issuer,
      aud: options.audience,
      iat: now,
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .sign(privateKey);
    expect((await rejection(service.verifyAccessToken(noTenant))).code).toBe('unauthorized');
  });

  it('answers token_expired for an expired token', async () => {
    const { importPKCS8 } = await import('jose');
    const privateKey = await importPKCS8(keys.privateKeyPem, 'ES256');
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await new SignJWT({ tid: 'ten_1', role: 'viewer' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setSubject('usr_1')
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setIssuedAt(past - 900)
      .setExpirationTime(past)
      .sign(privateKey);
    const error = await rejection(service.verifyAccessToken(expired));
    expect(error.code).toBe('token_expired');
    expect(error.status).toBe(401);
  });
});
