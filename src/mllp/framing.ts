/**
 * MLLP framing: a message travels as VT (0x0B) + payload + FS (0x1C) + CR (0x0D).
 *
 * The decoder is a streaming state machine fed with whatever chunks TCP delivers. It never scans byte by
 * byte in JavaScript: every search is a `Buffer.indexOf`, and a frame that arrives inside one chunk is
 * handed out as a view of that chunk (zero copy). Only a frame split across chunks is concatenated, once,
 * when its end block arrives.
 *
 * Views pin the socket chunk they come from (typically up to 64 KiB) for as long as the caller holds the
 * payload; the bytes are never reused by Node, so this costs memory, not correctness.
 *
 * Tolerances, all counted so an operator can see a misbehaving sender:
 * - bytes outside a frame are discarded (`garbageBytes`);
 * - FS not followed by CR still ends the frame (`fsWithoutCr`);
 * - a VT inside a frame abandons the partial frame (reported as `resync`) and starts a new one;
 * - a frame over `maxFrameBytes` is reported as `oversize` once its end (or the next VT) is seen, and its
 *   bytes are dropped as they arrive rather than buffered.
 */
import { CrosswalkError } from '../errors/index.ts';

export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

export type FrameErrorReason = 'oversize' | 'timeout' | 'resync' | 'disconnect';

export interface MalformedFrame {
  readonly reason: FrameErrorReason;
  /** Payload bytes seen for the abandoned frame (after VT), including any that were dropped. */
  readonly bytesSeen: number;
  /** The first bytes of the payload, at most `partialBytes`; a copy, safe to keep. */
  readonly partial: Buffer;
}

/** Counters a decoder increments; several decoders may share one object to aggregate per listener. */
export interface DecoderCounters {
  frames: number;
  garbageBytes: number;
  fsWithoutCr: number;
  oversize: number;
  timeout: number;
  resync: number;
  disconnect: number;
}

export function newDecoderCounters(): DecoderCounters {
  return { frames: 0, garbageBytes: 0, fsWithoutCr: 0, oversize: 0, timeout: 0, resync: 0, disconnect: 0 };
}

export interface MllpDecoderOptions {
  /** Largest payload accepted, in bytes (VT/FS/CR excluded). */
  readonly maxFrameBytes?: number;
  /** How many leading payload bytes a malformed-frame report keeps (enough to read an MSH). */
  readonly partialBytes?: number;
  readonly onFrame: (payload: Buffer) => void;
  readonly onMalformed: (frame: MalformedFrame) => void;
  readonly counters?: DecoderCounters;
}

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
export const DEFAULT_PARTIAL_BYTES = 1024;

const HUNT = 0; // outside a frame, looking for VT
const IN_FRAME = 1; // after VT, buffering payload
const DISCARD = 2; // after VT, frame already over the limit: counting, not buffering
const AFTER_FS = 3; // FS seen; a CR is expected next
type State = typeof HUNT | typeof IN_FRAME | typeof DISCARD | typeof AFTER_FS;

export class MllpDecoder {
  readonly counters: DecoderCounters;
  private readonly maxFrameBytes: number;
  private readonly partialBytes: number;
  private readonly onFrame: (payload: Buffer) => void;
  private readonly onMalformed: (frame: MalformedFrame) => void;
  private state: State = HUNT;
  /** Pieces of the current frame from earlier chunks (IN_FRAME only). */
  private parts: Buffer[] = [];
  /** Payload bytes of the current frame seen so far (IN_FRAME and DISCARD). */
  private seen = 0;
  /** Leading bytes of an oversize frame, kept for its report (DISCARD only). */
  private oversizePartial: Buffer | null = null;
  private seq = 0;

  constructor(options: MllpDecoderOptions) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.partialBytes = options.partialBytes ?? DEFAULT_PARTIAL_BYTES;
    this.onFrame = options.onFrame;
    this.onMalformed = options.onMalformed;
    this.counters = options.counters ?? newDecoderCounters();
  }

  /** True between a start block and its end block: the window a frame timeout watches. */
  get inFrame(): boolean {
    return this.state === IN_FRAME || this.state === DISCARD;
  }

  /** Increments at every start block; lets a timer tell whether the frame it watched is still open. */
  get frameSeq(): number {
    return this.seq;
  }

  /** Payload bytes of the open frame so far (0 outside a frame). */
  get bytesInFrame(): number {
    return this.inFrame ? this.seen : 0;
  }

  push(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case AFTER_FS: {
          if (chunk[pos] === CR) pos++;
          else this.counters.fsWithoutCr++;
          this.state = HUNT;
          break;
        }
        case HUNT: {
          const vt = chunk.indexOf(VT, pos);
          if (vt === -1) {
            this.counters.garbageBytes += len - pos;
            return;
          }
          this.counters.garbageBytes += vt - pos;
          pos = vt + 1;
          this.startFrame();
          break;
        }
        case IN_FRAME: {
          const fs = chunk.indexOf(FS, pos);
          const end = fs === -1 ? len : fs;
          const vt = chunk.indexOf(VT, pos);
          if (vt !== -1 && vt < end) {
            const seen = this.seen + (vt - pos);
            const reason = seen > this.maxFrameBytes ? 'oversize' : 'resync';
            this.report(reason, this.firstBytes(chunk.subarray(pos, vt)), seen);
            pos = vt + 1;
            this.startFrame();
            break;
          }
          const n = end - pos;
          if (this.seen + n > this.maxFrameBytes) {
            this.oversizePartial = this.firstBytes(chunk.subarray(pos, end));
            this.parts = [];
            this.seen += n;
            this.state = DISCARD;
            pos = end;
            if (fs !== -1) {
              this.endOversize();
              pos = fs + 1;
              this.state = AFTER_FS;
            }
            break;
          }
          if (fs === -1) {
            this.parts.push(pos === 0 ? chunk : chunk.subarray(pos));
            this.seen += n;
            return;
          }
          const tail = chunk.subarray(pos, fs);
          let payload: Buffer;
          if (this.parts.length === 0) payload = tail;
          else {
            this.parts.push(tail);
            payload = Buffer.concat(this.parts, this.seen + n);
            this.parts = [];
          }
          this.seen = 0;
          this.state = AFTER_FS;
          pos = fs + 1;
          this.counters.frames++;
          this.onFrame(payload);
          break;
        }
        case DISCARD: {
          const fs = chunk.indexOf(FS, pos);
          const end = fs === -1 ? len : fs;
          const vt = chunk.indexOf(VT, pos);
          if (vt !== -1 && vt < end) {
            this.seen += vt - pos;
            this.endOversize();
            pos = vt + 1;
            this.startFrame();
            break;
          }
          this.seen += end - pos;
          if (fs === -1) return;
          this.endOversize();
          pos = fs + 1;
          this.state = AFTER_FS;
          break;
        }
      }
    }
  }

  /**
   * Gives up on the open frame (frame timeout, or the peer went away) and reports it. An oversize frame
   * keeps its reason. Returns whether a frame was open. Bytes of the abandoned frame that arrive later
   * are garbage until the next start block.
   */
  abandon(reason: 'timeout' | 'disconnect'): boolean {
    if (this.state === IN_FRAME) {
      this.report(reason, this.firstBytes(null), this.seen);
      return true;
    }
    if (this.state === DISCARD) {
      this.endOversize();
      return true;
    }
    if (this.state === AFTER_FS) this.state = HUNT;
    return false;
  }

  private startFrame(): void {
    this.state = IN_FRAME;
    this.parts = [];
    this.seen = 0;
    this.seq++;
  }

  private endOversize(): void {
    const partial = this.oversizePartial ?? Buffer.alloc(0);
    this.oversizePartial = null;
    this.report('oversize', partial, this.seen);
  }

  private report(reason: FrameErrorReason, partial: Buffer, bytesSeen: number): void {
    this.parts = [];
    this.seen = 0;
    this.state = HUNT;
    this.counters[reason]++;
    this.onMalformed({ reason, bytesSeen, partial });
  }

  /** A bounded copy of the current frame's leading bytes: buffered parts, then `extra`. */
  private firstBytes(extra: Buffer | null): Buffer {
    let total = 0;
    for (const p of this.parts) total += p.length;
    if (extra) total += extra.length;
    const out = Buffer.allocUnsafe(Math.min(total, this.partialBytes));
    let at = 0;
    const pieces = extra ? [...this.parts, extra] : this.parts;
    for (const p of pieces) {
      if (at >= out.length) break;
      at += p.copy(out, at, 0, Math.min(p.length, out.length - at));
    }
    return out;
  }
}

const END_BLOCK_LENGTH = 2;

/** Frames one payload: VT + payload + FS CR, in a single allocation. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 1 + END_BLOCK_LENGTH);
  out[0] = VT;
  payload.copy(out, 1);
  out[payload.length + 1] = FS;
  out[payload.length + 2] = CR;
  return out;
}

/** Frames several payloads into one buffer, so a batch of replies costs one socket write. */
export function frameAll(payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const p of payloads) total += p.length + 1 + END_BLOCK_LENGTH;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    out[at++] = VT;
    at += p.copy(out, at);
    out[at++] = FS;
    out[at++] = CR;
  }
  return out;
}

/** The registry error that stands for a malformed frame, for exception queues and events. */
export function frameErrorToCrosswalkError(
  reason: FrameErrorReason,
  bytesSeen: number,
  limits: { maxFrameBytes: number; frameTimeoutMs: number },
): CrosswalkError {
  switch (reason) {
    case 'oversize':
      return new CrosswalkError('CW_ERR_MLLP_FRAME_TOO_LARGE', { limit: limits.maxFrameBytes });
    case 'timeout':
      return new CrosswalkError('CW_ERR_MLLP_TIMEOUT', { what: 'frame', ms: limits.frameTimeoutMs });
    case 'resync':
      return new CrosswalkError('CW_ERR_MLLP_FRAME_INCOMPLETE', {
        bytes: bytesSeen,
        reason: 'a new start block arrived before the end block',
      });
    case 'disconnect':
      return new CrosswalkError('CW_ERR_MLLP_FRAME_INCOMPLETE', {
        bytes: bytesSeen,
        reason: 'the peer closed the connection mid-frame',
      });
  }
}
