import { ADMIN_EMAIL, ADMIN_PASSWORD, type AppTarget, DEMO_EMAIL, DEMO_PASSWORD } from './app-target.ts';

export interface ApiResponse<Body = any> {
  status: number;
  headers: Headers;
  body: Body;
  text: string;
}

export interface CallOptions {
  token?: string | undefined;
  body?: unknown;
  /** Sent as-is (not JSON-encoded) when set. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Client address seen by the API (defaults to a random one, so rate limits do not cross tests). */
  ip?: string;
}

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

/** A small JSON client over any target's `fetch`. */
export function client(target: Pick<AppTarget, 'fetch'>) {
  async function call<Body = any>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResponse<Body>> {
    const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? nextIp(), ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await target.fetch(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed as Body, text };
  }
  return {
    call,
    get: <Body = any>(path: string, options?: CallOptions) => call<Body>('GET', path, options),
    post: <Body = any>(path: string, body?: unknown, options?: CallOptions) =>
      call<Body>('POST', path, { ...options, body }),
    patch: <Body = any>(path: string, body?: unknown, options?: CallOptions) =>
      call<Body>('PATCH', path, { ...options, body }),
    delete: <Body = any>(path: string, options?: CallOptions) => call<Body>('DELETE', path, options),
  };
}

export type Client = ReturnType<typeof client>;

export async function login(
  api: Client,
  email: string,
  password: string,
  tenantId?: string,
): Promise<string> {
  const response = await api.post('/v1/auth/login', { email, password, ...(tenantId ? { tenantId } : {}) });
  if (response.status !== 200)
    throw new Error(`login failed for ${email}: ${response.status} ${response.text}`);
  return response.body.accessToken as string;
}

export const loginAdmin = (api: Client) => login(api, ADMIN_EMAIL, ADMIN_PASSWORD);
export const loginDemoOwner = (api: Client) => login(api, DEMO_EMAIL, DEMO_PASSWORD);

let tenantCounter = 0;

/** Creates a tenant through the platform API and returns its owner's token and ids. */
export async function createTenant(api: Client, adminToken: string, label = 'tenant') {
  tenantCounter += 1;
  const email = `owner-${label}-${process.pid}-${tenantCounter}-${Math.random().toString(36).slice(2, 7)}@test.lumay`;
  const password = `password-${Math.random().toString(36).slice(2)}`;
  const created = await api.post(
    '/v1/tenants',
    { name: `${label} ${tenantCounter}`, owner: { email, password } },
    { token: adminToken },
  );
  if (created.status !== 201) throw new Error(`tenant creation failed: ${created.status} ${created.text}`);
  const token = await login(api, email, password);
  return {
    tenantId: created.body.tenant.id as string,
    ownerId: created.body.owner.userId as string,
    email,
    password,
    token,
  };
}

/** Invites a member with `role` into the owner's tenant and returns the member's token. */
export async function memberToken(api: Client, ownerToken: string, role: string) {
  const email = `${role}-${process.pid}-${Math.random().toString(36).slice(2, 9)}@test.lumay`;
  const password = `password-${Math.random().toString(36).slice(2)}`;
  const invited = await api.post('/v1/members', { email, role, password }, { token: ownerToken });
  if (invited.status !== 201) throw new Error(`invite failed: ${invited.status} ${invited.text}`);
  return {
    token: await login(api, email, password),
    userId: invited.body.member.userId as string,
    email,
    password,
  };
}
