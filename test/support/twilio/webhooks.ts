import { randomUUID } from 'node:crypto';
import { type TwilioParams, twilioSignature } from '../../../voice-node/src/twilio/signature.ts';

/**
 * Webhooks as Twilio sends them: form-encoded POSTs (repeated keys for multi-valued parameters)
 * signed with `X-Twilio-Signature` over the public URL our server is configured with, while the
 * request actually goes to a local address. Used by tests directly and by the fake Twilio for
 * voice, status, AMD and action callbacks.
 */

/** Options of `signedWebhook`. */
export interface SignedWebhookOptions {
  /** Where to send the request when `url` is the public one (default: `url` itself). */
  postTo?: string;
  /** Replace the signature (attack tests), or `null` to send none. */
  signature?: string | null;
  fetch?: typeof fetch;
  /** Abort after this long (default 15 s, Twilio's webhook timeout). */
  timeoutMs?: number;
}

/** Encodes parameters as a form body, repeating keys for arrays. */
export function formBody(params: TwilioParams): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of typeof value === 'string' ? [value] : value) body.append(name, item);
  }
  return body;
}

/** POSTs a form webhook to `url` (or `options.postTo`) signed over `url`, like Twilio. */
export function signedWebhook(
  url: string,
  params: TwilioParams,
  authToken: string,
  options: SignedWebhookOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
    'User-Agent': 'TwilioProxy/1.1',
    'I-Twilio-Idempotency-Token': randomUUID(),
  };
  const signature =
    options.signature === undefined ? twilioSignature(authToken, url, params) : options.signature;
  if (signature !== null) headers['X-Twilio-Signature'] = signature;
  return (options.fetch ?? fetch)(options.postTo ?? url, {
    method: 'POST',
    headers,
    body: formBody(params).toString(),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
}
