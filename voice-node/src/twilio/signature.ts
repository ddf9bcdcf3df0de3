import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio request signatures (`X-Twilio-Signature`), computed and checked the way twilio-node's
 * `webhooks.ts` does, so the voice node can refuse forged webhooks and WebSocket upgrades without
 * the Twilio SDK.
 *
 * The signed data is the full URL Twilio requested (scheme, host, path, query) followed, for form
 * POSTs, by every parameter as `name + value` in sorted name order (a repeated name contributes each
 * distinct value, sorted). The signature is base64(HMAC-SHA1(authToken, data)). WebSocket upgrades
 * are signed over the `wss://` URL from the TwiML with no parameters. JSON-bodied webhooks carry
 * `bodySHA256=<hex>` in the query instead of form parameters.
 */

/** Form parameters as a webhook carries them: a repeated key holds every value. */
export type TwilioParams = Record<string, string | string[]>;

/** The header Twilio signs requests with. */
export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

function appendParam(data: string, name: string, value: string | string[]): string {
  if (typeof value === 'string') return data + name + value;
  // Same as twilio-node: distinct values, sorted, each appended as name+value.
  return [...new Set(value)].sort().reduce((accumulator, item) => accumulator + name + item, data);
}

/** The signature Twilio sends for a request to `url` carrying `params` (empty for GET/WebSocket). */
export function twilioSignature(authToken: string, url: string, params: TwilioParams = {}): string {
  const data = Object.keys(params)
    .sort()
    .reduce((accumulator, name) => appendParam(accumulator, name, params[name] ?? ''), url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/** Hex SHA-256 of a request body, as Twilio puts it in the `bodySHA256` query parameter. */
export function bodySHA256(body: string): string {
  return createHash('sha256').update(Buffer.from(body, 'utf-8')).digest('hex');
}

/** Equal strings in time independent of where they differ (the length is not secret). */
function constantTimeEqual(left: string, right: string): boolean {
  const a = Buffer.from(left, 'utf-8');
  const b = Buffer.from(right, 'utf-8');
  return a.length === b.length && timingSafeEqual(a, b);
}

const DEFAULT_PORTS: Record<string, string> = { 'https:': '443', 'wss:': '443', 'http:': '80', 'ws:': '80' };

/**
 * The spellings of `url` Twilio may have signed: as given, normalised without the default port and
 * normalised with it. Twilio's signer is inconsistent about `:443`/`:80`, so twilio-node accepts both.
 */
export function signatureUrlCandidates(url: string): string[] {
  const candidates = new Set<string>([url]);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  // WHATWG URL drops a default port, so this is the "without port" spelling.
  candidates.add(parsed.toString());
  const defaultPort = DEFAULT_PORTS[parsed.protocol];
  if (parsed.port === '' && defaultPort !== undefined) {
    const credentials =
      parsed.username || parsed.password
        ? `${parsed.username}${parsed.password ? `:${parsed.password}` : ''}@`
        : '';
    candidates.add(
      `${parsed.protocol}//${credentials}${parsed.host}:${defaultPort}${parsed.pathname}${parsed.search}${parsed.hash}`,
    );
  }
  return [...candidates];
}

/** What `validateTwilioSignature` checks. */
export interface TwilioSignatureCheck {
  authToken: string;
  /** The `X-Twilio-Signature` header (missing → invalid). */
  signature: string | null | undefined;
  /** The public URL Twilio requested, rebuilt from configuration, never from the Host header. */
  url: string;
  /** Form body parameters; omit for GET requests and WebSocket upgrades. */
  params?: TwilioParams;
}

/** True when `signature` is Twilio's signature of `url` + `params` under `authToken`. */
export function validateTwilioSignature(check: TwilioSignatureCheck): boolean {
  const { authToken, signature, url, params = {} } = check;
  if (typeof signature !== 'string' || signature === '' || authToken === '') return false;
  let valid = false;
  // Check every candidate (no early exit) so timing does not reveal which spelling matched.
  for (const candidate of signatureUrlCandidates(url)) {
    if (constantTimeEqual(signature, twilioSignature(authToken, candidate, params))) valid = true;
  }
  return valid;
}

/** What `validateTwilioSignatureWithBody` checks: a JSON-bodied webhook. */
export interface TwilioBodySignatureCheck {
  authToken: string;
  signature: string | null | undefined;
  /** The full public URL including its `bodySHA256` query parameter. */
  url: string;
  /** The raw request body, exactly as received. */
  body: string;
}

/**
 * Validates a JSON-bodied webhook: the URL (with its `bodySHA256` query) is signed with no
 * parameters, and the body must hash to that `bodySHA256`.
 */
export function validateTwilioSignatureWithBody(check: TwilioBodySignatureCheck): boolean {
  let expectedHash: string | null;
  try {
    expectedHash = new URL(check.url).searchParams.get('bodySHA256');
  } catch {
    return false;
  }
  if (expectedHash === null || expectedHash === '') return false;
  const urlValid = validateTwilioSignature({
    authToken: check.authToken,
    signature: check.signature,
    url: check.url,
  });
  const bodyValid = constantTimeEqual(expectedHash.toLowerCase(), bodySHA256(check.body));
  return urlValid && bodyValid;
}

/** A form-encoded body as signature parameters (repeated keys become arrays). */
export function formParams(body: string | URLSearchParams): TwilioParams {
  const search = typeof body === 'string' ? new URLSearchParams(body) : body;
  const params: TwilioParams = {};
  for (const [name, value] of search) {
    const existing = params[name];
    if (existing === undefined) params[name] = value;
    else if (typeof existing === 'string') params[name] = [existing, value];
    else existing.push(value);
  }
  return params;
}
