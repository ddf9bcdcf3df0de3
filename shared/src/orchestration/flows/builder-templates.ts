import {
  bookingStep,
  collectStep,
  escalationStep,
  type FieldName,
  fallbackAssistantStep,
  faqStep,
  greetStep,
  HUMAN,
  handoffNode,
  leadStep,
  link,
  moodCheckStep,
  NEXT,
  type NodeInput,
  orderStatusStep,
  refundStep,
} from './builder-steps.ts';
import { FlowDefinition } from './definition.ts';
import type { FlowFinding } from './validation-types.ts';

/** The templates the offline builder recognises in a description. */
export const FLOW_TEMPLATES = [
  'mood_check',
  'collect_fields',
  'order_status',
  'refund',
  'booking',
  'lead_capture',
  'faq',
  'escalation',
  'assistant',
] as const;
export type FlowTemplateName = (typeof FLOW_TEMPLATES)[number];

/** A draft the templates produced, with the templates used and any notes (warnings) about it. */
export interface TemplateDraft {
  readonly definition: FlowDefinition;
  readonly templates: FlowTemplateName[];
  readonly findings: FlowFinding[];
}

type Task = 'order_status' | 'refund' | 'booking' | 'lead_capture' | 'faq' | 'escalation';

const DETECTORS: Record<Task, RegExp> = {
  order_status:
    /\b(order status|track(ing)?|where is (my|the|an?) (order|package|parcel)|look ?(up|ups?) (an? |the |my |their )?orders?|orders?[- ]look ?up|check (an? |the )?orders?|delivery status)\b/,
  refund: /\b(refunds?|money back|reimburse\w*|return an? (order|item))\b/,
  booking: /\b(book(ing)?s?|appointments?|schedul\w*|reservations?|reserve)\b/,
  lead_capture:
    /\b(leads?|sign ?ups?|prospects?|sales (inquir\w*|enquir\w*)|demo requests?|contact details)\b/,
  faq: /\b(faqs?|questions?|knowledge( base)?|documentation|docs|help ?cent(er|re)|polic(y|ies)|rag)\b/,
  escalation:
    /\b(escalat\w*|hand ?(it )?(off|over)|handoffs?|(a |to a )?(human|person|live agent|colleague)s?|transfer)\b/,
};
const MOOD = /\b(angry|upset|frustrated|furious|annoyed|complain\w*|rude|abusive)\b/;
const FIELD_WORDS: [FieldName, RegExp][] = [
  ['name', /\b(their |the customer'?s? |your |full )?names?\b/],
  ['email', /\be-?mails?( address(es)?)?\b/],
  ['phone', /\b(phone|mobile|telephone)( numbers?)?\b/],
];
const ROUTE_INTENTS: Record<Exclude<Task, 'faq'>, string> = {
  order_status: 'order_status',
  refund: 'refund',
  booking: 'book_appointment',
  lead_capture: 'sales_inquiry',
  escalation: 'talk_to_human',
};

function taskSteps(task: Task, collected: Set<string>, prefix = ''): NodeInput[] {
  switch (task) {
    case 'order_status':
      return orderStatusStep(collected, prefix);
    case 'refund':
      return refundStep(collected, prefix);
    case 'booking':
      return bookingStep(collected, prefix);
    case 'lead_capture':
      return leadStep(collected, prefix);
    case 'faq':
      return faqStep();
    case 'escalation':
      return escalationStep(collected, prefix);
  }
}

/** Chains segments in order: each segment's `NEXT` goes to the first node of the following one. */
function chain(segments: NodeInput[][], last: string): NodeInput[] {
  const filled = segments.filter((segment) => segment.length > 0);
  return filled.flatMap((segment, index) => {
    const target = filled[index + 1]?.[0]?.id ?? last;
    return segment.map((node) => link(node, target));
  });
}

/**
 * The offline builder: keyword detection over the description picks templates (order status, refund
 * with approval, appointment booking, lead capture, FAQ answering, escalation, a mood check that hands
 * upset customers to a person, and plain field collection) and composes them: greet → mood check →
 * fields → one task, or an intent router over several tasks. Failure paths share one handoff node.
 * Nothing recognised gives a minimal greet → LLM → end flow with a `template_fallback` warning.
 */
export function draftFromTemplates(description: string): TemplateDraft {
  const text = description.toLowerCase();
  const templates: FlowTemplateName[] = [];
  const findings: FlowFinding[] = [];
  const collected = new Set<string>();
  const tasks = (Object.keys(DETECTORS) as Task[]).filter((task) => DETECTORS[task].test(text));
  const mood = MOOD.test(text);
  if (mood) templates.push('mood_check');
  const fields = FIELD_WORDS.filter(([, pattern]) => pattern.test(text)).map(([field]) => field);
  // A mood-triggered handoff is the mood check's job, not a separate escalation task.
  const mainTasks = mood ? tasks.filter((task) => task !== 'escalation') : tasks;
  const segments: NodeInput[][] = [greetStep('Hello! How can I help you today?')];
  if (mood) segments.push(moodCheckStep());
  if (fields.length > 0 && !(mainTasks.length === 1 && mainTasks[0] === 'lead_capture')) {
    templates.push('collect_fields');
    segments.push(collectStep(fields, collected));
  }
  if (mainTasks.length === 0) {
    templates.push('assistant');
    segments.push(fallbackAssistantStep());
    if (!mood && fields.length === 0) {
      findings.push({
        severity: 'warning',
        code: 'template_fallback',
        nodeId: 'assist',
        message:
          "node 'assist': the description matched no known pattern (order status, refund, booking, lead capture, FAQ, escalation), so the draft is a minimal greet → LLM → end flow",
      });
    }
  } else if (mainTasks.length === 1) {
    const [task] = mainTasks as [Task];
    templates.push(task);
    segments.push(taskSteps(task, collected));
  } else {
    const routed = mainTasks.filter((task) => task !== 'faq');
    segments.push(routerSegment(routed, mainTasks.includes('faq'), collected, templates));
  }
  const body = chain(segments, 'done');
  const referenced = JSON.stringify(body);
  const nodes: NodeInput[] = [...body];
  if (referenced.includes('"done"')) nodes.push({ id: 'done', type: 'end', message: 'Thank you, goodbye!' });
  if (referenced.includes(`"${HUMAN}"`)) nodes.push(handoffNode(collected));
  return { definition: FlowDefinition.parse({ start: 'greet', nodes }), templates, findings };
}

/** Several tasks: an intent router picks one; each branch collects what it needs under its own ids. */
function routerSegment(
  tasks: readonly Task[],
  withFaq: boolean,
  collected: Set<string>,
  templates: FlowTemplateName[],
): NodeInput[] {
  const before = new Set(collected);
  const branches = tasks.map((task) => {
    templates.push(task);
    const branchCollected = new Set(before);
    const nodes = taskSteps(task, branchCollected, `${task}_`);
    for (const field of branchCollected) collected.add(field);
    return { task, nodes };
  });
  const fallback = withFaq ? faqStep() : fallbackAssistantStep();
  templates.push(withFaq ? 'faq' : 'assistant');
  const router: NodeInput = {
    id: 'route_request',
    type: 'intent_router',
    routes: branches.flatMap(({ task, nodes }) =>
      nodes[0] ? [{ intent: ROUTE_INTENTS[task as Exclude<Task, 'faq'>], next: nodes[0].id }] : [],
    ),
    fallback: fallback[0]?.id ?? NEXT,
  };
  return [router, ...branches.flatMap(({ nodes }) => nodes), ...fallback];
}
