import type { EventBus, EventEnvelope } from '@lumay/shared';
import type { TwilioRestClient } from './twilio/rest-client.ts';
import { TwilioApiError } from './twilio/rest-client.ts';
import { connectStreamTwiml } from './twilio/twiml.ts';

/** What the dialer needs of the call records (the shared call store, under the event's tenant). */
export interface OutboundCallStore {
  /** requested → dialing, exactly once across consumers. */
  claimForDialing(tenantId: string, callId: string): Promise<boolean>;
  issueStreamToken(tenantId: string, callId: string): Promise<string>;
  attachCallSid(tenantId: string, callId: string, callSid: string): Promise<void>;
  failCall(tenantId: string, callId: string, endReason: string): Promise<void>;
}

export const OUTBOUND_CONSUMER = 'voice-outbound-dialer';

/**
 * Dials outbound calls: consumes `outbound.call.requested`, claims the call (so a redelivered event
 * never dials twice), mints the stream's one-time token and creates the call through Twilio's REST API
 * with inline TwiML that connects the media stream back to this node. Answering-machine detection runs
 * asynchronously (`AsyncAmd`), so the greeting is not delayed; its verdict arrives on `/twilio/amd`.
 */
export function createOutboundDialer(options: {
  store: OutboundCallStore;
  rest: TwilioRestClient;
  publicBaseUrl: string;
  defaultFrom?: string | undefined;
  log?: (event: string, data: Record<string, unknown>) => void;
}) {
  const base = new URL(options.publicBaseUrl);
  const log = options.log ?? (() => undefined);
  return async function dial(event: EventEnvelope): Promise<void> {
    if (event.topic !== 'outbound.call.requested') return;
    const payload = event.payload as { callId: string; agentId: string; to: string; from?: string };
    const { tenantId } = event;
    if (!(await options.store.claimForDialing(tenantId, payload.callId))) return;
    const from = payload.from ?? options.defaultFrom;
    if (!from) {
      await options.store.failCall(tenantId, payload.callId, 'no_caller_id');
      return;
    }
    const token = await options.store.issueStreamToken(tenantId, payload.callId);
    const twiml = connectStreamTwiml({
      streamUrl: `wss://${base.host}/twilio/media`,
      parameters: { tenantId, callId: payload.callId, token },
      statusCallback: `${base.origin}/twilio/stream-status`,
    });
    try {
      const created = await options.rest.createCall({
        to: payload.to,
        from,
        twiml,
        // The call's ids ride in the (signed) callback URL: callbacks can arrive before the CallSid is stored.
        statusCallback: `${base.origin}/twilio/status?tenantId=${encodeURIComponent(tenantId)}&callId=${encodeURIComponent(payload.callId)}`,
        statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
        machineDetection: 'Enable',
        asyncAmd: true,
        asyncAmdStatusCallback: `${base.origin}/twilio/amd`,
        timeoutSeconds: 30,
      });
      await options.store.attachCallSid(tenantId, payload.callId, created.sid);
      log('outbound_dialed', { callId: payload.callId, callSid: created.sid });
    } catch (error) {
      // Twilio refused the call (bad number, no permission): it will not succeed on retry.
      if (error instanceof TwilioApiError && error.status >= 400 && error.status < 500) {
        log('outbound_refused', { callId: payload.callId, code: error.code, message: error.message });
        await options.store.failCall(tenantId, payload.callId, `twilio_${error.code ?? error.status}`);
        return;
      }
      // Network or 5xx: the claim stays `dialing`; fail it so a campaign can retry it later.
      log('outbound_failed', {
        callId: payload.callId,
        reason: error instanceof Error ? error.message : String(error),
      });
      await options.store.failCall(tenantId, payload.callId, 'dial_error');
    }
  };
}

/** Subscribes the dialer to the bus. */
export async function registerOutboundDialer(
  bus: EventBus,
  dial: (event: EventEnvelope) => Promise<void>,
): Promise<void> {
  await bus.subscribe(OUTBOUND_CONSUMER, ['outbound.call.requested'], dial);
}
