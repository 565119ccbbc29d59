import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatCompletionSchema } from '../../src/config/api';
import { ChunkAssembler } from '../../src/streaming/assemble';
import { completionToChunks, isChatChunk, isMeaningful, toCallerChunk, type ChatChunk } from '../../src/streaming/chunks';

const meta = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'mock-small' };
const chunk = (delta: object, finish: string | null = null, extra: object = {}): ChatChunk =>
  ({ ...meta, choices: [{ index: 0, delta, finish_reason: finish }], ...extra }) as ChatChunk;
const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };

describe('stream chunks → one chat.completion', () => {
  it('assembles content, finish and usage into a valid completion', () => {
    const a = new ChunkAssembler();
    for (const c of [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello ' }), chunk({ content: 'there' }), chunk({}, 'stop')]) a.add(c);
    assert.equal(a.finished, true);
    assert.equal(a.usage, undefined);
    a.add({ ...meta, choices: [], usage });
    const c = a.completion();
    assert.ok(ChatCompletionSchema.safeParse(c).success);
    assert.equal(c.choices[0]?.message.content, 'Hello there');
    assert.equal(c.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(c.usage, usage);
    assert.equal(c.model, 'mock-small');
  });

  it('merges tool-call deltas by index (name first, arguments in pieces)', () => {
    const a = new ChunkAssembler();
    a.add(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }] }));
    a.add(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }));
    a.add(chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }));
    a.add(chunk({}, 'tool_calls'));
    const m = a.completion().choices[0]!.message as unknown as { content: unknown; tool_calls: unknown };
    assert.equal(m.content, null);
    assert.deepEqual(m.tool_calls, [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }]);
  });

  it('is not finished until every choice has a finish_reason', () => {
    const a = new ChunkAssembler();
    a.add(chunk({ content: 'half' }));
    assert.equal(a.finished, false);
  });

  it('tells chunks from garbage, and meaningful chunks from a bare role chunk', () => {
    assert.equal(isChatChunk({ choices: [] }), true);
    assert.equal(isChatChunk({ choices: [{ index: 0 }] }), true);
    assert.equal(isChatChunk({ id: 'x' }), false);
    assert.equal(isChatChunk({ choices: [{ delta: {} }] }), false);
    assert.equal(isChatChunk([1]), false);
    assert.equal(isMeaningful(chunk({ role: 'assistant', content: '' })), false);
    assert.equal(isMeaningful(chunk({ content: 'a' })), true);
    assert.equal(isMeaningful(chunk({}, 'stop')), true);
  });

  it('presents chunks with the gateway model, and usage only when the caller asked', () => {
    const withUsage = chunk({ content: 'a' }, null, { usage: null });
    assert.equal(toCallerChunk(withUsage, { model: 'small', includeUsage: true })?.model, 'small');
    assert.ok('usage' in toCallerChunk(withUsage, { model: 'small', includeUsage: true })!);
    assert.ok(!('usage' in toCallerChunk(withUsage, { model: 'small', includeUsage: false })!));
    assert.equal(toCallerChunk({ ...meta, choices: [], usage }, { model: 'small', includeUsage: false }), undefined);
  });

  it('replays a finished answer as chunks that assemble back to it', () => {
    const completion = { id: 'c', object: 'chat.completion' as const, created: 5, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Whole answer' }, finish_reason: 'stop' }], usage };
    const chunks = completionToChunks(completion, { model: 'small', includeUsage: true });
    const a = new ChunkAssembler();
    for (const c of chunks) a.add(c);
    assert.equal(a.completion().choices[0]?.message.content, 'Whole answer');
    assert.deepEqual(a.usage, usage);
    assert.ok(chunks.every((c) => c.model === 'small' && c.object === 'chat.completion.chunk'));
    assert.equal(completionToChunks(completion, { model: 'small', includeUsage: false }).some((c) => 'usage' in c), false);
  });
});
