import { z } from 'zod';
import { defineProvider } from '../providers/kind';
import { createOpenAIProvider } from '../providers/openai/adapter';
import { createOpenAIEmbed } from './embedClient';

/**
 * `kind: mock`: the built-in mock server (src/mock/server.ts), which `gatehouse start` runs itself
 * when the config names it. Not an adapter of its own: the OpenAI-compatible adapter pointed at it.
 */
export const mockKind = defineProvider({
  kind: 'mock',
  schema: z.object({ kind: z.literal('mock') }),
  pricing: { by: 'none' },
  doc: { sdk: '`openai`', reaches: 'the built-in mock server, started by the gateway itself (`GATEHOUSE_MOCK_PORT`, default a free port)' },
  create(_config, ctx) {
    if (!ctx.mockUrl) throw new Error(`provider "${ctx.name}" is the built-in mock, but the mock server is not running`);
    return { ...createOpenAIProvider(ctx.mockUrl, 'mock'), embed: createOpenAIEmbed(ctx.mockUrl, 'mock') };
  },
});
