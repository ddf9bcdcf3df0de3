import { monotonicFactory } from 'ulidx';

/** Resource prefixes; every id is `<prefix>_<ULID>`: unique, URL-safe and sortable by creation time. */
export const ID_PREFIXES = {
  tenant: 'ten',
  user: 'usr',
  membership: 'mem',
  apiKey: 'key',
  refreshToken: 'rtk',
  agent: 'agt',
  audit: 'aud',
  event: 'evt',
  request: 'req',
  knowledgeBase: 'kbs',
  document: 'doc',
  chunk: 'chk',
  secret: 'sec',
  modelProvider: 'mpr',
  intent: 'itn',
  modelCall: 'mca',
  flow: 'flw',
  flowVersion: 'fvr',
  conversation: 'cnv',
  message: 'msg',
  conversationEvent: 'cev',
  approval: 'apr',
  handoff: 'hnd',
  testSuite: 'tsu',
  testRun: 'trn',
  phoneNumber: 'phn',
  call: 'cal',
  callStatusEvent: 'cse',
  campaign: 'cmp',
  campaignContact: 'ccn',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ulid = monotonicFactory();

/** Creates a new prefixed, time-sortable id such as `agt_01JD4X…`. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid()}`;
}

const ID_PATTERN = /^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` has the shape of an id of the given kind (no database lookup). */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_PATTERN.test(value);
}
