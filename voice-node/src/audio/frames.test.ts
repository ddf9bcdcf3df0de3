import { describe, expect, it } from 'vitest';
import { createFrameAssembler, mulawDurationMs } from './frames.ts';

const ramp = (length: number, start = 0) => Uint8Array.from({ length }, (_, i) => (start + i) % 251);

describe('createFrameAssembler', () => {
  it('re-frames chunks of any size into exact 160-byte frames, in order', () => {
    const stream = ramp(1000);
    for (const sizes of [[1], [7, 300], [160], [159, 2], [1000]]) {
      const assembler = createFrameAssembler();
      const frames: Uint8Array[] = [];
      let offset = 0;
      for (let k = 0; offset < stream.length; k++) {
        const size = sizes[k % sizes.length]!;
        frames.push(...assembler.push(stream.subarray(offset, offset + size)));
        offset += size;
      }
      expect(frames.length).toBe(6);
      expect(frames.every((frame) => frame.length === 160)).toBe(true);
      expect(Array.from(frames[5]!)).toEqual(Array.from(stream.subarray(800, 960)));
      expect(assembler.pendingBytes()).toBe(40);
      const last = assembler.flush();
      expect(Array.from(last!.subarray(0, 40))).toEqual(Array.from(stream.subarray(960)));
      expect(last!.subarray(40).every((byte) => byte === 0xff)).toBe(true);
      expect(assembler.flush()).toBeNull();
    }
  });

  it('returns copies, so reusing the input buffer does not change queued frames', () => {
    const assembler = createFrameAssembler(4);
    const buffer = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const [frame] = assembler.push(buffer);
    buffer.fill(0);
    expect(Array.from(frame!)).toEqual([1, 2, 3, 4]);
    expect(Array.from(assembler.push(Uint8Array.of(7, 8))[0]!)).toEqual([5, 6, 7, 8]);
  });

  it('pads with the given byte and drops the partial frame on reset', () => {
    const assembler = createFrameAssembler(4);
    assembler.push(Uint8Array.of(9));
    expect(Array.from(assembler.flush(0)!)).toEqual([9, 0, 0, 0]);
    assembler.push(Uint8Array.of(1, 2, 3));
    assembler.reset();
    expect(assembler.pendingBytes()).toBe(0);
    expect(Array.from(assembler.push(Uint8Array.of(4, 5, 6, 7))[0]!)).toEqual([4, 5, 6, 7]);
    expect(() => createFrameAssembler(0)).toThrow(RangeError);
  });
});

describe('mulawDurationMs', () => {
  it('is 1 ms per 8 bytes', () => {
    expect(mulawDurationMs(160)).toBe(20);
    expect(mulawDurationMs(8000)).toBe(1000);
    expect(mulawDurationMs(4)).toBe(0.5);
  });
});
