import { scrypt as nodeScrypt } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import {
  ConfigError,
  createPasswordHasher,
  generateSecretKeysSpec,
  generateTokenKeys,
  type PasswordHasher,
  parseConfig,
  SCRYPT_PARAMS,
  type ScryptParams,
} from '@lumay/shared';
import type { Context } from 'hono';
import type { z } from 'zod';

/** Parses a deployable's environment once; a bad setting stops the process with a clear message. */
export function loadConfig<Schema extends z.ZodType>(schema: Schema): z.output<Schema> {
  try {
    return parseConfig(schema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`LuMay cannot start.\n${error.message}\nSee the configuration table in README.md.`);
      process.exit(78);
    }
    throw error;
  }
}

/** Native scrypt on Node's thread pool; same stored format as the portable edge implementation. */
export function createNodePasswordHasher(params: ScryptParams = SCRYPT_PARAMS): PasswordHasher {
  return createPasswordHasher(
    (password, salt, params) =>
      new Promise((resolve, reject) => {
        nodeScrypt(
          password,
          salt,
          params.keyLength,
          { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
          (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))),
        );
      }),
    params,
  );
}

/**
 * Client address on Node: the socket's peer address, or the first X-Forwarded-For hop when the
 * operator says a trusted proxy sits in front (TRUST_PROXY=true).
 */
export function nodeClientIp(trustProxy: boolean) {
  return (request: Request, raw: unknown): string | null => {
    if (trustProxy) {
      const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
      if (forwarded) return forwarded;
    }
    const address = getConnInfo({ env: raw } as unknown as Context).remote.address;
    return address ?? null;
  };
}

/** Loads the JWT key pair from the data directory, generating it on first start (embedded only). */
export async function loadOrCreateTokenKeys(
  dataDir: string,
): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const path = join(dataDir, 'jwt-keys.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as { privateKeyPem: string; publicKeyPem: string };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const keys = await generateTokenKeys();
  await writeFile(path, JSON.stringify(keys), { mode: 0o600 });
  await chmod(path, 0o600);
  return keys;
}

/**
 * Loads the secrets keyring spec (LUMAY_SECRETS_KEYS format) from the data directory, generating
 * one 256-bit key on first start (embedded only; mode 600). Losing this file makes stored secrets
 * unreadable, so it lives beside the database it protects.
 */
export async function loadOrCreateSecretKeys(dataDir: string): Promise<string> {
  const path = join(dataDir, 'secrets-keys');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const spec = generateSecretKeysSpec(1);
  // 'wx': two processes starting at once must not overwrite each other's key.
  try {
    await writeFile(path, `${spec}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(path, 'utf8')).trim();
    throw error;
  }
  await chmod(path, 0o600);
  return spec;
}

/**
 * The embedded default's stand-in Twilio account (so a simulated caller can place signed calls with no
 * Twilio account): an `AC…` sid and an auth token generated once into LUMAY_DATA_DIR/voice-dev.json.
 */
export async function loadOrCreateVoiceDevAccount(
  dataDir: string,
): Promise<{ accountSid: string; authToken: string }> {
  const path = join(dataDir, 'voice-dev.json');
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as { accountSid?: unknown; authToken?: unknown };
    if (typeof stored.accountSid === 'string' && typeof stored.authToken === 'string') {
      return { accountSid: stored.accountSid, authToken: stored.authToken };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
  const account = { accountSid: `AC${hex(16)}`, authToken: hex(16) };
  await writeFile(path, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return account;
}

/** Resolves every address of a host (for the model endpoint check when private endpoints are off). */
export async function nodeResolveHost(hostname: string): Promise<string[]> {
  return (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);
}

/** Keeps first-start generated credentials where the newcomer can find them again (mode 600). */
export async function saveFirstRunCredentials(dataDir: string, lines: string[]): Promise<string> {
  const path = join(dataDir, 'first-run-credentials.txt');
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600, flag: 'a' });
  return path;
}
