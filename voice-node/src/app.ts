import { type Context, Hono } from 'hono';
import type { VoiceBackend } from './call/backend.ts';
import type { VoiceMetrics } from './call/metrics.ts';
import type { TwilioRestClient } from './twilio/rest-client.ts';
import { TWILIO_SIGNATURE_HEADER, validateTwilioSignature } from './twilio/signature.ts';
import {
  connectStreamTwiml,
  conversationRelayTwiml,
  sayThenHangupTwiml,
  transferTwiml,
} from './twilio/twiml.ts';

/** Live state and collaborators of the voice node's HTTP surface. */
export interface VoiceAppState {
  activeCalls(): number;
  draining(): boolean;
  metrics?: VoiceMetrics;
  /** Public origin (`https://voice.example.com`) that webhook signatures are computed over. */
  publicBaseUrl?: string;
  authToken?: string;
  backend?: VoiceBackend;
  rest?: TwilioRestClient | null;
  log?: (event: string, data: Record<string, unknown>) => void;
}

/** Kept for callers that only need the health surface. */
export type VoiceNodeState = VoiceAppState;

const twiml = (c: Context, body: string, status: 200 | 403 = 200) =>
  c.body(body, status, { 'Content-Type': 'text/xml; charset=utf-8' });

/**
 * The voice node's HTTP surface: health, readiness (503 while draining, so load balancers stop
 * sending calls), Prometheus metrics, and the Twilio webhooks, each checked against
 * `X-Twilio-Signature` over the configured public URL and the form parameters.
 */
export function buildVoiceApp(state: VoiceAppState): Hono {
  const app = new Hono();
  const log = state.log ?? (() => undefined);
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) =>
    state.draining() ? c.json({ status: 'draining' }, 503) : c.json({ status: 'ready' }),
  );
  app.get('/metrics', (c) => {
    const body =
      state.metrics?.render(state.draining()) ??
      [
        '# HELP lumay_voice_active_calls Calls currently connected to this node.',
        '# TYPE lumay_voice_active_calls gauge',
        `lumay_voice_active_calls ${state.activeCalls()}`,
        '# HELP lumay_voice_draining 1 while the node drains before shutdown.',
        '# TYPE lumay_voice_draining gauge',
        `lumay_voice_draining ${state.draining() ? 1 : 0}`,
        '',
      ].join('\n');
    return c.text(body, 200, { 'Content-Type': 'text/plain; version=0.0.4' });
  });

  /** Reads a signed form webhook; null (and a 403 already decided) when the signature is wrong. */
  async function signedForm(c: Context): Promise<Record<string, string> | null> {
    if (!state.publicBaseUrl || !state.authToken) return null;
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) return null;
    const body = await c.req.text();
    const params: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(body)) params[key] = value;
    const query = new URL(c.req.url).search;
    const valid = validateTwilioSignature({
      authToken: state.authToken,
      signature: c.req.header(TWILIO_SIGNATURE_HEADER),
      url: `${state.publicBaseUrl}${c.req.path}${query}`,
      params,
    });
    if (!valid) {
      state.metrics?.rejected();
      log('webhook_refused', { path: c.req.path });
      return null;
    }
    return params;
  }

  const forbidden = (c: Context) =>
    c.json({ error: { code: 'forbidden', message: 'Missing or invalid X-Twilio-Signature' } }, 403);
  const notConfigured = (c: Context) =>
    c.json(
      {
        error: {
          code: 'service_unavailable',
          message: 'Voice is not configured: set PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
        },
      },
      503,
    );

  /** Inbound call: route by the called number, record the call, answer with a stream or relay. */
  app.post('/twilio/voice', async (c) => {
    const backend = state.backend;
    if (!backend || !state.publicBaseUrl || !state.authToken) return notConfigured(c);
    const params = await signedForm(c);
    if (!params) return forbidden(c);
    const { CallSid: callSid, From: from = '', To: to = '' } = params;
    if (!callSid || !to) return twiml(c, sayThenHangupTwiml('Sorry, this call could not be connected.'));
    const route = await backend.resolveNumber(to);
    if (!route) return twiml(c, sayThenHangupTwiml('Sorry, this number is not in service.'));
    const { callId, streamToken } = await backend.createInboundCall({
      tenantId: route.tenantId,
      agentId: route.agentId,
      phoneNumberId: route.phoneNumberId,
      callSid,
      from,
      to,
    });
    const host = new URL(state.publicBaseUrl).host;
    const parameters = { tenantId: route.tenantId, callId, token: streamToken };
    log('call_answered', { callSid, callId, mode: route.mode });
    if (route.mode === 'conversation_relay') {
      return twiml(
        c,
        conversationRelayTwiml({
          url: `wss://${host}/twilio/relay`,
          actionUrl: `${state.publicBaseUrl}/twilio/relay-action`,
          interruptible: 'any',
          dtmfDetection: true,
          parameters,
        }),
      );
    }
    return twiml(
      c,
      connectStreamTwiml({
        streamUrl: `wss://${host}/twilio/media`,
        parameters,
        statusCallback: `${state.publicBaseUrl}/twilio/stream-status`,
      }),
    );
  });

  /** Call status callbacks (retried by Twilio): idempotent on CallSid + SequenceNumber. */
  app.post('/twilio/status', async (c) => {
    const backend = state.backend;
    if (!backend || !state.publicBaseUrl || !state.authToken) return notConfigured(c);
    const params = await signedForm(c);
    if (!params) return forbidden(c);
    const { CallSid: callSid, CallStatus: status, SequenceNumber: sequenceNumber = '0' } = params;
    if (!callSid || !status) {
      return c.json(
        { error: { code: 'validation_failed', message: 'CallSid and CallStatus are required' } },
        400,
      );
    }
    const duration = Number(params.CallDuration);
    const tenantId = c.req.query('tenantId');
    const callId = c.req.query('callId');
    await backend.recordStatus({
      ...(tenantId && callId ? { hint: { tenantId, callId } } : {}),
      callSid,
      sequenceNumber,
      status,
      ...(Number.isFinite(duration) && params.CallDuration !== undefined
        ? { durationSeconds: duration }
        : {}),
      ...(params.AnsweredBy ? { answeredBy: params.AnsweredBy } : {}),
    });
    return c.body(null, 204);
  });

  /** Stream status callbacks: logged (the call's own status callback carries the outcome). */
  app.post('/twilio/stream-status', async (c) => {
    const params = await signedForm(c);
    if (!params) return forbidden(c);
    log('stream_status', { callSid: params.CallSid, event: params.StreamEvent, error: params.StreamError });
    return c.body(null, 204);
  });

  /** Async answering-machine detection: a machine ends the call (campaigns retry it later). */
  app.post('/twilio/amd', async (c) => {
    const backend = state.backend;
    if (!backend || !state.publicBaseUrl || !state.authToken) return notConfigured(c);
    const params = await signedForm(c);
    if (!params) return forbidden(c);
    const { CallSid: callSid, AnsweredBy: answeredBy = 'unknown' } = params;
    if (!callSid)
      return c.json({ error: { code: 'validation_failed', message: 'CallSid is required' } }, 400);
    await backend.recordStatus({ callSid, sequenceNumber: `amd:${answeredBy}`, status: 'amd', answeredBy });
    if (answeredBy.startsWith('machine') || answeredBy === 'fax') {
      log('machine_detected', { callSid, answeredBy });
      await state.rest?.hangup(callSid).catch(() => undefined);
    }
    return c.body(null, 204);
  });

  /** After a ConversationRelay session ends: dial the handoff's number, or hang up. */
  app.post('/twilio/relay-action', async (c) => {
    const params = await signedForm(c);
    if (!params) return forbidden(c);
    let transferTo: string | undefined;
    if (params.HandoffData) {
      try {
        const data = JSON.parse(params.HandoffData) as { transferTo?: unknown };
        if (typeof data.transferTo === 'string') transferTo = data.transferTo;
      } catch {
        transferTo = undefined;
      }
    }
    if (transferTo) {
      try {
        return twiml(c, transferTwiml({ say: 'Transferring you now.', to: transferTo }));
      } catch {
        return twiml(c, sayThenHangupTwiml('Sorry, the transfer could not be made. Goodbye.'));
      }
    }
    return twiml(c, '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
  });

  app.onError((error, c) => {
    log('webhook_failed', { path: c.req.path, reason: error.message });
    // Twilio retries or uses the number's fallback URL; nothing half-done is left behind.
    return c.json(
      { error: { code: 'service_unavailable', message: 'The voice node could not handle this request now' } },
      503,
    );
  });
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  return app;
}
