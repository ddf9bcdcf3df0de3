import type { Clock } from '@lumay/shared';
import { expect } from 'vitest';
import { type Client, createTenant } from '../../support/client.ts';

let numberCounter = 0;

/** A phone number unique within this test process (the platform-wide unique key). */
export function uniqueNumber(): string {
  numberCounter += 1;
  return `+1444${String(process.pid % 1000).padStart(3, '0')}${String(numberCounter).padStart(4, '0')}`;
}

/** A clock the test sets: every service and the scheduler read the same instant. */
export function settableClock(start = new Date()): Clock & { at: Date; advance(ms: number): Date } {
  return {
    at: start,
    now() {
      return new Date(this.at.getTime());
    },
    advance(ms: number) {
      this.at = new Date(this.at.getTime() + ms);
      return this.now();
    },
  };
}

export type VoiceTenant = Awaited<ReturnType<typeof createTenant>> & {
  agentId: string;
  number: string;
  phoneNumberId: string;
};

/** A tenant with an active agent and an active phone number routed to it. */
export async function voiceTenant(api: Client, adminToken: string, label: string): Promise<VoiceTenant> {
  const tenant = await createTenant(api, adminToken, label);
  const agent = await api.post(
    '/v1/agents',
    { name: `${label} agent`, status: 'active' },
    { token: tenant.token },
  );
  expect(agent.status, agent.text).toBe(201);
  const number = uniqueNumber();
  const phone = await api.post(
    '/v1/phone-numbers',
    { number, agentId: agent.body.id },
    { token: tenant.token },
  );
  expect(phone.status, phone.text).toBe(201);
  return { ...tenant, agentId: agent.body.id, number, phoneNumberId: phone.body.id };
}
