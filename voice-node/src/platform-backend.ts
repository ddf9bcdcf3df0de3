import {
  type CoreServices,
  TWILIO_CALL_STATUSES,
  type TwilioCallStatus,
  type VoiceCallStore,
  voiceContext,
} from '@lumay/shared';
import type { CallTurnRecord, ClaimedCall, VoiceBackend } from './call/backend.ts';
import { voiceSettingsOf } from './call/settings.ts';
import type { OutboundCallStore } from './outbound.ts';

const isTwilioStatus = (value: string): value is TwilioCallStatus =>
  (TWILIO_CALL_STATUSES as readonly string[]).includes(value);

/**
 * The voice node's view of the platform, over the shared services: call records through the voice
 * call store (tenant RLS via a system context per call), conversations through the same engine the
 * chat API uses. Built by the composition roots (embedded, voice container).
 */
export function createPlatformVoiceBackend(core: CoreServices, store: VoiceCallStore): VoiceBackend {
  const context = (call: { tenantId: string; callId?: string }) =>
    voiceContext(call.tenantId, `sys_voice_${call.callId ?? 'call'}`);

  return {
    resolveNumber: (to) => store.resolveInboundNumber(to),

    async createInboundCall(input) {
      const created = await store.createInboundCall(context({ tenantId: input.tenantId }), {
        agentId: input.agentId,
        phoneNumberId: input.phoneNumberId,
        callSid: input.callSid,
        from: input.from,
        to: input.to,
      });
      return { callId: created.callId, streamToken: created.streamToken };
    },

    async claimStream(input) {
      const view = await store.claimStream(context(input), {
        callId: input.callId,
        callSid: input.callSid,
        token: input.token,
      });
      return {
        tenantId: input.tenantId,
        callId: view.id,
        agentId: view.agentId,
        direction: view.direction,
        from: view.from,
        to: view.to,
        conversationId: view.conversationId,
      };
    },

    async agentSettings(tenantId, agentId) {
      const agent = await core.agents.get(voiceContext(tenantId), agentId);
      const parsed = voiceSettingsOf(agent.config);
      if (!parsed.ok) throw new Error(`The agent's voice settings are invalid: ${parsed.message}`);
      return parsed.settings;
    },

    startConversation: (call, sink) =>
      core.conversations.start(
        context(call),
        {
          agentId: call.agentId,
          channel: 'voice',
          metadata: { callId: call.callId, direction: call.direction, from: call.from, to: call.to },
        },
        { sink },
      ),

    send: (call, conversationId, input, sink) =>
      core.conversations.send(
        context(call),
        conversationId,
        { ...(input.text ? { text: input.text } : {}), ...(input.digits ? { digits: input.digits } : {}) },
        { sink },
      ),

    async recordInterruption(call, conversationId, messageId, heardText) {
      await core.conversations.recordInterruption(context(call), conversationId, messageId, heardText);
    },

    async latestHandoff(call, conversationId) {
      const page = await core.handoffs.list(context(call), { limit: 20 });
      const handoff = page.data.find((entry) => entry.conversationId === conversationId);
      return handoff ? { queue: handoff.queue, summary: handoff.summary, reason: handoff.reason } : null;
    },

    async endConversation(call, conversationId, outcome) {
      const details = await core.conversations.get(context(call), conversationId);
      if (details.endedAt !== null) return;
      await core.conversations.end(context(call), conversationId, outcome);
    },

    async attachConversation(call, conversationId) {
      await store.attachConversation(context(call), call.callId, conversationId);
    },

    async appendTurn(call, turn: CallTurnRecord) {
      await store.appendTurn(context(call), call.callId, {
        callerText: turn.callerText ?? null,
        assistantText: turn.spokenText,
        heardText: turn.heardText,
        interrupted: turn.interrupted,
        latencyMs: {
          speechEndToSttFinal:
            turn.latency.sttMs === undefined ? null : (turn.latency.endOfTurnMs ?? 0) + turn.latency.sttMs,
          sttFinalToLlmFirstToken: turn.latency.firstTextMs ?? null,
          llmFirstTokenToTtsFirstByte: turn.latency.ttsFirstByteMs ?? null,
          ttsFirstByteToFirstFrame: turn.latency.firstFrameMs ?? null,
          totalResponse: turn.latency.responseMs ?? null,
          serverAddedMs: turn.latency.serverAddedMs ?? null,
        },
        bargeInReactionMs: turn.bargeInReactionMs ?? null,
      });
    },

    async finishCall(call: ClaimedCall, outcome) {
      await store.finishCall(context(call), call.callId, {
        status: outcome.status,
        endReason: outcome.endReason,
        ...(outcome.transferTo ? { transferTo: outcome.transferTo } : {}),
        ...(outcome.summary ? { summary: outcome.summary } : {}),
      });
    },

    async recordStatus(input) {
      let route = await store.resolveCallSid(input.callSid);
      if (!route && input.hint) {
        // A callback that beat the dialer's attachCallSid: the signed URL names the call.
        try {
          await store.attachCallSid(context(input.hint), input.hint.callId, input.callSid);
          route = input.hint;
        } catch {
          route = null;
        }
      }
      if (!route) return { known: false, duplicate: false };
      const tenant = { tenantId: route.tenantId, callId: route.callId };
      if (input.status === 'amd') {
        const machine = (input.answeredBy ?? '').startsWith('machine') || input.answeredBy === 'fax';
        if (machine) {
          await store.finishCall(context(tenant), route.callId, {
            status: 'completed',
            endReason: 'machine',
          });
        }
        return { known: true, duplicate: false };
      }
      if (!isTwilioStatus(input.status)) return { known: true, duplicate: false };
      const sequence = Number(input.sequenceNumber);
      const result = await store.recordStatus(context(tenant), {
        callId: route.callId,
        sequenceNumber: Number.isSafeInteger(sequence) ? sequence : 0,
        status: input.status,
        ...(input.durationSeconds !== undefined ? { durationSeconds: input.durationSeconds } : {}),
        ...(input.answeredBy ? { answeredBy: input.answeredBy } : {}),
      });
      return { known: true, duplicate: result.duplicate };
    },
  };
}

/** The outbound dialer's view of the call store. */
export function createOutboundCallStore(store: VoiceCallStore): OutboundCallStore {
  return {
    async claimForDialing(tenantId, callId) {
      return (await store.markDialing(voiceContext(tenantId), callId)).claimed;
    },
    async issueStreamToken(tenantId, callId) {
      return (await store.issueStreamToken(voiceContext(tenantId), callId)).streamToken;
    },
    async attachCallSid(tenantId, callId, callSid) {
      await store.attachCallSid(voiceContext(tenantId), callId, callSid);
    },
    async failCall(tenantId, callId, endReason) {
      await store.finishCall(voiceContext(tenantId), callId, { status: 'failed', endReason });
    },
  };
}
