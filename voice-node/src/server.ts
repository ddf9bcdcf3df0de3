import { type ServerType, serve } from '@hono/node-server';
import { buildVoiceApp } from './app.ts';

export interface VoiceServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the voice node's HTTP server (port 8001 by default). */
export async function startVoiceServer(options: { port: number; host: string }): Promise<VoiceServer> {
  let draining = false;
  const app = buildVoiceApp({ activeCalls: () => 0, draining: () => draining });
  const server: ServerType = await new Promise((resolve) => {
    const instance = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () =>
      resolve(instance),
    );
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        draining = true;
        server.close(() => resolve());
      }),
  };
}
