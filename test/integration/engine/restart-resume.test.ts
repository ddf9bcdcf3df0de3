import { StaleConversationError } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { answeringTool, blockingTool, engineTenant, movableClock } from './engine-harness.ts';

const slowFlow = {
  start: 'hello',
  settings: { maxStepsPerTurn: 50, turnTimeoutMs: 20_000 },
  nodes: [
    { id: 'hello', type: 'message', text: 'Hello.', next: 'ask' },
    {
      id: 'ask',
      type: 'collect',
      slot: 'q',
      valueType: 'string',
      prompt: 'Go?',
      next: 'before',
      onFail: 'bye',
    },
    { id: 'before', type: 'message', text: 'Working on {{slots.q}}.', next: 'slow' },
    { id: 'slow', type: 'tool', tool: 'test.slow', saveAs: 'r', next: 'after' },
    { id: 'after', type: 'message', text: 'Done by {{vars.r.by}}.', next: 'ask' },
    { id: 'bye', type: 'end' },
  ],
};

describe.each<DatabaseKind>(['postgres', 'pglite'])('restart and resume on %s', (kind) => {
  let target: AppTarget;
  let t: Awaited<ReturnType<typeof engineTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    t = await engineTenant(target, 'restart');
  });
  afterAll(() => target?.close());

  async function stateOf(id: string) {
    const [row] = await target.owner<{
      state: { cursor: string; turn: { owner: string } | null };
      state_revision: number;
    }>('select state, state_revision from conversations where id = $1', [id]);
    return row;
  }

  async function stopMidTurn() {
    const agent = await t.agentWithFlow(`slow-${Math.random()}`, slowFlow);
    const blocking = blockingTool('test.slow');
    const first = t.engine([blocking.tool], { instanceId: 'engine-1' });
    const opening = await first.start(t.context, { agentId: agent.id, channel: 'chat' });
    const id = opening.conversation.id;
    const pending = first.send(t.context, id, { text: 'the report', clientMessageId: 'm1' });
    const outcome = pending.then(
      () => 'completed',
      (error: unknown) => error,
    );
    await blocking.called;
    return { id, blocking, outcome };
  }

  it('resumes a turn at its last persisted step after the engine that ran it is gone', async () => {
    const { id, blocking, outcome } = await stopMidTurn();
    // Every step before the blocked tool is persisted: the state points at the tool, the turn is open.
    const persisted = await stateOf(id);
    expect(persisted?.state.cursor).toBe('slow');
    expect(persisted?.state.turn?.owner).toBe('engine-1');
    const transcript = await target.owner<{ content: string }>(
      'select content from messages where conversation_id = $1 order by seq',
      [id],
    );
    expect(transcript.map((row) => row.content)).toEqual([
      'Hello.',
      'Go?',
      'the report',
      'Working on the report.',
    ]);

    // A new engine over the same database (its lease view: the old owner's lease has expired).
    const clock = movableClock();
    clock.offsetMs = 10 * 60_000;
    const second = t.engine([answeringTool('test.slow', 'engine two')], { instanceId: 'engine-2', clock });
    const resumed = await second.resume(t.context, id);
    expect(resumed?.messages.map((message) => message.content)).toEqual(['Done by engine two.', 'Go?']);
    expect(resumed?.conversation.status).toBe('active');

    // The old engine wakes up: its write loses the compare-and-set and changes nothing.
    blocking.release();
    const error = await outcome;
    expect(error).toBeInstanceOf(StaleConversationError);
    const after = await target.owner<{ content: string; role: string }>(
      'select content, role from messages where conversation_id = $1 order by seq',
      [id],
    );
    expect(after.map((row) => row.content)).toEqual([
      'Hello.',
      'Go?',
      'the report',
      'Working on the report.',
      'Done by engine two.',
      'Go?',
    ]);
    const events = await target.owner<{
      type: string;
      data: { takenOver?: boolean; output?: { by: string } };
    }>(
      "select type, data from conversation_events where conversation_id = $1 and type in ('turn-start', 'tool-call') order by id",
      [id],
    );
    expect(
      events.filter((event) => event.type === 'tool-call').map((event) => event.data.output?.by),
    ).toEqual(['engine two']);
    expect(events.some((event) => event.type === 'turn-start' && event.data.takenOver)).toBe(true);
    expect((await stateOf(id))?.state.turn).toBeNull();
  });

  it('finishes an abandoned turn before the next message, and replays the abandoned message id', async () => {
    const { id, blocking, outcome } = await stopMidTurn();
    const clock = movableClock();
    clock.offsetMs = 10 * 60_000;
    const second = t.engine([answeringTool('test.slow', 'engine two')], { instanceId: 'engine-2', clock });
    const next = await second.send(t.context, id, { text: 'more', clientMessageId: 'm2' });
    expect(next.messages.map((message) => message.content)).toEqual([
      'Working on more.',
      'Done by engine two.',
      'Go?',
    ]);
    const replayed = await second.send(t.context, id, { text: 'the report', clientMessageId: 'm1' });
    expect(replayed.duplicate).toBe(true);
    expect(replayed.messages.map((message) => message.content)).toEqual([
      'Working on the report.',
      'Done by engine two.',
      'Go?',
    ]);
    blocking.release();
    expect(await outcome).toBeInstanceOf(StaleConversationError);
    const [count] = await target.owner<{ users: string; turns: number }>(
      "select (select count(*) from messages where conversation_id = $1 and role = 'user') as users, turn_count as turns from conversations where id = $1",
      [id],
    );
    expect(Number(count?.users)).toBe(2);
    expect(count?.turns).toBe(2);
  });

  it('makes a second instance wait for a live turn instead of taking it over', async () => {
    const { id, blocking, outcome } = await stopMidTurn();
    const second = t.engine([answeringTool('test.slow', 'engine two')], { instanceId: 'engine-2' });
    const waiting = second.send(t.context, id, { text: 'queued' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stateOf(id))?.state.turn?.owner).toBe('engine-1');
    blocking.release();
    expect(await outcome).toBe('completed');
    const queued = await waiting;
    expect(queued.messages.map((message) => message.content)).toEqual([
      'Working on queued.',
      'Done by engine two.',
      'Go?',
    ]);
  });
});
