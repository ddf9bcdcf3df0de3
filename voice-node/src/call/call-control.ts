import type { TwilioRestClient } from '../twilio/rest-client.ts';
import { transferTwiml } from '../twilio/twiml.ts';

/** What a call asks of the telephony provider: transfer to a number, or hang up. */
export interface CallControl {
  transfer(
    callSid: string,
    options: { to: string; say: string; callerId?: string; summary?: string },
  ): Promise<void>;
  hangup(callSid: string): Promise<void>;
}

/**
 * Call control over Twilio's REST API: a transfer replaces the live call's TwiML with `<Say>` +
 * `<Dial>` (which also ends the media stream); a hang-up sets `Status=completed` (a call that already
 * ended counts as done). The summary travels with the call record and the handoff; Twilio's `<Dial>`
 * has no field for free text.
 */
export function createTwilioCallControl(client: TwilioRestClient | null): CallControl {
  return {
    async transfer(callSid, options) {
      if (!client) throw new Error('Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
      await client.updateCall(callSid, {
        twiml: transferTwiml({
          say: options.say,
          to: options.to,
          ...(options.callerId ? { callerId: options.callerId } : {}),
        }),
      });
    },
    async hangup(callSid) {
      if (!client) return;
      await client.hangup(callSid);
    },
  };
}
