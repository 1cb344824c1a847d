/** The kind checks of flavor model files: the ONNX ModelProto walk reads tags, never payloads. */
import { describe, expect, it } from 'vitest';
import { isFileOfKind } from '../../src/scan/model-file-kind.js';
import { ranges } from '../support/model-bytes.js';

describe('ONNX structure check', () => {
  it('accepts a ModelProto with ir_version and a graph, refuses text, a truncated field and a missing graph', () => {
    expect(isFileOfKind(ranges(Buffer.from([0x08, 0x08, 0x3a, 0x02, 0x0a, 0x00])), 'onnx')).toBe(true);
    expect(isFileOfKind(ranges(Buffer.from('ir_version: 8\n')), 'onnx')).toBe(false);
    expect(isFileOfKind(ranges(Buffer.from([0x08, 0x08, 0x3a, 0x7f, 0x00])), 'onnx')).toBe(false);
    expect(isFileOfKind(ranges(Buffer.from([0x08, 0x08, 0x12, 0x00])), 'onnx')).toBe(false);
  });

  it('seeks over a large field instead of reading it', () => {
    const payload = Buffer.alloc(3 * 1024 * 1024);
    const length = [0x80, 0x80, 0xc0, 0x01]; // 3 MiB as a varint
    const file = ranges(Buffer.concat([Buffer.from([0x08, 0x08, 0x3a, ...length]), payload]));
    expect(isFileOfKind(file, 'onnx')).toBe(true);
    expect(file.bytesRead).toBeLessThan(1024);
  });
});
