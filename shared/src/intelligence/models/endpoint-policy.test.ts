import { describe, expect, it } from 'vitest';
import {
  checkModelEndpoint,
  createGuardedFetch,
  isPrivateAddress,
  ModelEndpointRefusedError,
} from './endpoint-policy.ts';

const edge = { allowPrivate: false };
const onPrem = { allowPrivate: true };

describe('model endpoint policy', () => {
  it('refuses private, loopback, link-local and metadata addresses in every spelling at the edge', async () => {
    for (const url of [
      'http://127.0.0.1:11434/v1',
      'http://localhost:8000/v1',
      'http://api.localhost/v1',
      'http://10.0.0.5/v1',
      'http://172.20.1.1/v1',
      'http://192.168.1.10/v1',
      'http://100.64.0.1/v1',
      'http://169.254.169.254/latest',
      'http://2852039166/',
      'http://0xa9fea9fe/',
      'http://0251.0376.0251.0376/',
      'http://0x7f.1/',
      'http://0/',
      'http://[::1]/v1',
      'http://[::]/v1',
      'http://[::ffff:169.254.169.254]/',
      'http://[::169.254.169.254]/',
      'http://[2002:a9fe:a9fe::]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://metadata.google.internal/computeMetadata/v1',
      'http://ollama/v1',
      'http://gpu-box.local/v1',
      'http://models.corp.internal/v1',
    ]) {
      await expect(checkModelEndpoint(url, edge), url).rejects.toBeInstanceOf(ModelEndpointRefusedError);
    }
  });

  it('allows public endpoints at the edge and private ones on-prem', async () => {
    for (const url of ['https://api.openai.com/v1', 'https://8.8.8.8/v1', 'http://[2606:4700::1111]/v1']) {
      await expect(checkModelEndpoint(url, edge), url).resolves.toBeUndefined();
    }
    for (const url of ['http://127.0.0.1:11434/v1', 'http://ollama:11434/v1', 'http://10.1.2.3/v1']) {
      await expect(checkModelEndpoint(url, onPrem), url).resolves.toBeUndefined();
    }
  });

  it('refuses other schemes and credentials in the URL everywhere', async () => {
    for (const url of [
      'ftp://example.com/v1',
      'file:///etc/passwd',
      'https://user:pass@api.example.com/v1',
      'nonsense',
    ]) {
      await expect(checkModelEndpoint(url, onPrem), url).rejects.toBeInstanceOf(ModelEndpointRefusedError);
    }
  });

  it('checks resolved addresses when the runtime can resolve names', async () => {
    const resolvingTo = (addresses: string[]) => ({
      allowPrivate: false,
      resolveHost: async () => addresses,
    });
    await expect(
      checkModelEndpoint('https://rebind.example.com/v1', resolvingTo(['93.184.216.34'])),
    ).resolves.toBeUndefined();
    await expect(
      checkModelEndpoint('https://rebind.example.com/v1', resolvingTo(['93.184.216.34', '10.0.0.1'])),
    ).rejects.toThrow(/resolves to a private/);
    await expect(checkModelEndpoint('https://rebind.example.com/v1', resolvingTo([]))).rejects.toThrow(
      /private/,
    );
  });

  it('classifies address literals', () => {
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('192.0.2.1')).toBe(true);
    expect(isPrivateAddress('::ffff:8.8.8.8')).toBe(false);
    expect(isPrivateAddress('not an address')).toBe(true);
  });

  it('guards every request of the registry fetch and never follows redirects', async () => {
    const seen: { url: string; redirect: RequestRedirect | undefined }[] = [];
    const fetcher = createGuardedFetch(edge, async (input, init) => {
      seen.push({ url: String(input), redirect: init?.redirect });
      return new Response('{}');
    });
    await fetcher('https://api.openai.com/v1/chat/completions', { method: 'POST' });
    expect(seen).toEqual([{ url: 'https://api.openai.com/v1/chat/completions', redirect: 'manual' }]);
    await expect(fetcher('http://169.254.169.254/latest/meta-data')).rejects.toBeInstanceOf(
      ModelEndpointRefusedError,
    );
    expect(seen).toHaveLength(1);
  });
});
