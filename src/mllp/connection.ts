/**
 * One accepted MLLP connection: decodes frames, calls the handler for up to `maxInFlight` of them at
 * once, and writes the replies strictly in arrival order.
 *
 * Flow control has three brakes, all by pausing the socket (TCP then pushes back on the sender):
 * - the in-flight window is full (or decoded frames wait in the backlog behind it);
 * - the peer is not reading its replies (our write buffer is above `writeHighWaterBytes`);
 * - the listener is draining.
 * Memory per connection is therefore bounded by the window, one socket chunk of decoded frames, the
 * write high-water mark and one frame under construction (≤ maxFrameBytes).
 *
 * Replies that are ready in the same tick are framed into one buffer and written with one call.
 */
import type { Socket } from 'node:net';
import { Fifo } from './fifo.ts';
import {
  type DecoderCounters,
  frameAll,
  frameErrorToCrosswalkError,
  type MalformedFrame,
  MllpDecoder,
} from './framing.ts';
import type {
  MllpConnectionCloseReason,
  MllpFrameErrorHandler,
  MllpHandlerErrorHandler,
  MllpListenerEvent,
  MllpMessageContext,
  MllpMessageHandler,
  MllpReply,
} from './types.ts';

/** The frozen listener settings a connection needs. */
export interface ConnectionConfig {
  readonly interfaceName: string;
  readonly maxFrameBytes: number;
  readonly frameTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxInFlight: number;
  readonly writeHighWaterBytes: number;
  readonly partialBytes: number;
  readonly closeLingerMs: number;
  readonly onMessage: MllpMessageHandler;
  readonly onHandlerError: MllpHandlerErrorHandler | undefined;
  readonly onFrameError: MllpFrameErrorHandler | undefined;
}

/** Listener-wide counters that connections add to as they go, so `stats()` is always current. */
export interface ListenerTotals {
  bytesReceived: number;
  bytesSent: number;
  repliesWritten: number;
  handlerErrors: number;
}

export interface ConnectionShared {
  readonly counters: DecoderCounters;
  readonly totals: ListenerTotals;
  readonly emit: (event: MllpListenerEvent) => void;
}

interface Slot {
  done: boolean;
  reply: MllpReply;
  /** The handler failed and no error reply was given: close once the replies before it are out. */
  fatal: boolean;
}

type Work =
  | { readonly payload: Buffer; readonly malformed: undefined; readonly ctx: MllpMessageContext }
  | { readonly payload: undefined; readonly malformed: MalformedFrame; readonly ctx: MllpMessageContext };

function isThenable<T>(v: unknown): v is PromiseLike<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export class MllpConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly tlsFingerprint: string | undefined;
  /** Resolves when the socket has closed, whoever closed it. */
  readonly closed: Promise<void>;
  framesReceived = 0;

  private readonly socket: Socket;
  private readonly config: ConnectionConfig;
  private readonly shared: ConnectionShared;
  private readonly decoder: MllpDecoder;
  private readonly backlog = new Fifo<Work>();
  private readonly slots = new Fifo<Slot>();
  private receivedAt = new Date();
  private paused = false;
  private writeBlocked = false;
  private peerEnded = false;
  private draining = false;
  /** We stopped serving: nothing more is dispatched or written. */
  private stopped = false;
  private flushScheduled = false;
  private closeReason: MllpConnectionCloseReason = 'peer';
  private frameTimer: NodeJS.Timeout | undefined;
  private frameTimerSeq = -1;
  private lingerTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;

  constructor(
    socket: Socket,
    id: number,
    tlsFingerprint: string | undefined,
    config: ConnectionConfig,
    shared: ConnectionShared,
  ) {
    this.socket = socket;
    this.id = id;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.tlsFingerprint = tlsFingerprint;
    this.config = config;
    this.shared = shared;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.decoder = new MllpDecoder({
      maxFrameBytes: config.maxFrameBytes,
      partialBytes: config.partialBytes,
      counters: shared.counters,
      onFrame: (payload) => this.onFrame(payload),
      onMalformed: (m) => this.onMalformed(m),
    });
    // Replies are batched here, so Nagle's algorithm would only add latency to one-at-a-time senders.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {
      if (!this.stopped) this.closeReason = 'socket-error';
    });
    socket.on('close', () => this.onClose());
    if (config.idleTimeoutMs > 0) {
      socket.setTimeout(config.idleTimeoutMs);
      socket.on('timeout', () => this.onIdle());
    }
    shared.emit({
      type: 'connection-open',
      connectionId: id,
      remoteAddress: this.remoteAddress,
      ...(tlsFingerprint ? { tlsFingerprint } : {}),
    });
  }

  /** Handler calls started and not yet answered. */
  get inFlight(): number {
    return this.slots.length;
  }

  /** Graceful close: read nothing more, finish what was received, write the replies, then end. */
  drain(): void {
    if (this.stopped) return;
    this.draining = true;
    this.updateFlow();
    this.maybeFinish();
  }

  /** Forced close by the listener. */
  destroy(): void {
    this.stop('listener-close', false);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.stopped || this.draining) return;
    this.shared.totals.bytesReceived += chunk.length;
    this.receivedAt = new Date();
    this.decoder.push(chunk);
    this.watchFrame();
    this.updateFlow();
  }

  private ctx(): MllpMessageContext {
    const ctx: MllpMessageContext = {
      connectionId: this.id,
      remoteAddress: this.remoteAddress,
      interfaceName: this.config.interfaceName,
      receivedAt: this.receivedAt,
    };
    return this.tlsFingerprint ? { ...ctx, tlsFingerprint: this.tlsFingerprint } : ctx;
  }

  private onFrame(payload: Buffer): void {
    this.framesReceived++;
    this.enqueue({ payload, malformed: undefined, ctx: this.ctx() });
  }

  private onMalformed(m: MalformedFrame): void {
    const ctx = this.ctx();
    this.shared.emit({
      type: 'frame-error',
      connectionId: this.id,
      reason: m.reason,
      bytesSeen: m.bytesSeen,
      error: this.frameError(m),
    });
    // The peer is gone: tell the application for the record; there is no one to reply to.
    if (m.reason === 'disconnect') this.callFrameError(m, ctx);
    else this.enqueue({ payload: undefined, malformed: m, ctx });
  }

  private frameError(m: MalformedFrame) {
    return frameErrorToCrosswalkError(m.reason, m.bytesSeen, this.config);
  }

  private callFrameError(m: MalformedFrame, ctx: MllpMessageContext): MllpReply {
    const handler = this.config.onFrameError;
    if (!handler) return null;
    try {
      return handler({
        reason: m.reason,
        bytesSeen: m.bytesSeen,
        ctx,
        partial: m.partial,
        error: this.frameError(m),
      });
    } catch (error) {
      this.shared.totals.handlerErrors++;
      this.shared.emit({ type: 'handler-error', connectionId: this.id, error });
      return null;
    }
  }

  private enqueue(work: Work): void {
    if (this.stopped) return;
    if (this.backlog.length > 0 || !this.canDispatch()) this.backlog.push(work);
    else this.dispatch(work);
  }

  private canDispatch(): boolean {
    return !this.stopped && !this.writeBlocked && this.slots.length < this.config.maxInFlight;
  }

  private dispatch(work: Work): void {
    const slot: Slot = { done: false, reply: null, fatal: false };
    this.slots.push(slot);
    if (work.malformed) {
      this.settle(slot, this.callFrameError(work.malformed, work.ctx));
      return;
    }
    let result: Promise<MllpReply> | MllpReply;
    try {
      result = this.config.onMessage(work.payload, work.ctx);
    } catch (error) {
      this.handlerFailed(slot, error, work.payload, work.ctx);
      return;
    }
    if (isThenable<MllpReply>(result)) {
      result.then(
        (reply) => this.settle(slot, reply),
        (error: unknown) => this.handlerFailed(slot, error, work.payload, work.ctx),
      );
    } else this.settle(slot, result);
  }

  private handlerFailed(slot: Slot, error: unknown, payload: Buffer, ctx: MllpMessageContext): void {
    this.shared.totals.handlerErrors++;
    this.shared.emit({ type: 'handler-error', connectionId: this.id, error });
    const fail = (): void => {
      slot.fatal = true;
      this.settle(slot, null);
    };
    const handler = this.config.onHandlerError;
    if (!handler) {
      fail();
      return;
    }
    let result: Promise<MllpReply> | MllpReply;
    try {
      result = handler(error, payload, ctx);
    } catch {
      fail();
      return;
    }
    const use = (reply: MllpReply): void => (reply ? this.settle(slot, reply) : fail());
    if (isThenable<MllpReply>(result)) result.then(use, fail);
    else use(result);
  }

  private settle(slot: Slot, reply: MllpReply): void {
    slot.done = true;
    slot.reply = reply ?? null;
    if (slot === this.slots.peek() && !this.flushScheduled) {
      this.flushScheduled = true;
      // nextTick runs after the current microtask queue drains: every handler promise resolved by one
      // group commit settles first, and all their replies leave in one write.
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const replies: Buffer[] = [];
    let fatal = false;
    for (let head = this.slots.peek(); head?.done; head = this.slots.peek()) {
      this.slots.shift();
      if (head.fatal) {
        fatal = true;
        break;
      }
      if (head.reply) replies.push(head.reply);
    }
    if (replies.length > 0) {
      const out = frameAll(replies);
      this.shared.totals.bytesSent += out.length;
      this.shared.totals.repliesWritten += replies.length;
      this.socket.write(out);
      if (this.socket.writableLength > this.config.writeHighWaterBytes) this.writeBlocked = true;
    }
    if (fatal) {
      this.stop('handler-error', true);
      return;
    }
    this.pump();
    this.updateFlow();
    this.maybeFinish();
  }

  private pump(): void {
    while (this.backlog.length > 0 && this.canDispatch()) this.dispatch(this.backlog.shift()!);
  }

  private updateFlow(): void {
    if (this.stopped) return;
    const hold =
      this.draining ||
      this.peerEnded ||
      this.writeBlocked ||
      this.backlog.length > 0 ||
      this.slots.length >= this.config.maxInFlight;
    if (hold && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!hold && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private maybeFinish(): void {
    if (this.stopped || !(this.draining || this.peerEnded)) return;
    if (this.slots.length === 0 && this.backlog.length === 0) {
      this.stop(this.draining ? 'listener-close' : 'peer', true);
    }
  }

  /** Stops serving. `flush` ends the socket after pending writes, bounded by the linger time. */
  private stop(reason: MllpConnectionCloseReason, flush: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    this.closeReason = reason;
    this.clearFrameTimer();
    if (!flush) return;
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.config.closeLingerMs);
    this.lingerTimer.unref();
  }

  /**
   * Arms the frame timer when a frame is left open at the end of a chunk. Frames that arrive whole in a
   * chunk never touch a timer, which matters at thousands of frames per second.
   */
  private watchFrame(): void {
    if (this.config.frameTimeoutMs <= 0 || !this.decoder.inFrame) return;
    const seq = this.decoder.frameSeq;
    if (seq === this.frameTimerSeq) return;
    this.frameTimerSeq = seq;
    if (this.frameTimer) this.frameTimer.refresh();
    else {
      this.frameTimer = setTimeout(() => this.onFrameTimeout(), this.config.frameTimeoutMs);
      this.frameTimer.unref();
    }
  }

  private onFrameTimeout(): void {
    if (this.stopped || this.draining) return;
    if (!this.decoder.inFrame || this.decoder.frameSeq !== this.frameTimerSeq) return;
    // While we hold the socket paused the sender cannot finish its frame; that is not its fault.
    if (this.paused) {
      this.frameTimer?.refresh();
      return;
    }
    this.decoder.abandon('timeout');
    this.updateFlow();
  }

  private clearFrameTimer(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private onIdle(): void {
    if (this.stopped) return;
    // Handler calls still running (a slow commit) are not idleness; wait for another period.
    if (this.slots.length > 0) {
      this.socket.setTimeout(this.config.idleTimeoutMs);
      return;
    }
    this.stop('idle', false);
    this.socket.destroy();
  }

  private onEnd(): void {
    // allowHalfOpen: the peer may send its last frames and wait for the replies before closing.
    this.peerEnded = true;
    this.decoder.abandon('disconnect');
    this.updateFlow();
    this.maybeFinish();
  }

  private onDrain(): void {
    if (!this.writeBlocked) return;
    this.writeBlocked = false;
    this.pump();
    this.updateFlow();
    this.maybeFinish();
  }

  private onClose(): void {
    if (!this.stopped) {
      this.stopped = true;
      // The peer went away, perhaps mid-frame: report that frame for the record.
      this.decoder.abandon('disconnect');
    }
    this.clearFrameTimer();
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.backlog.drain();
    this.shared.emit({
      type: 'connection-close',
      connectionId: this.id,
      reason: this.closeReason,
      framesReceived: this.framesReceived,
    });
    this.resolveClosed();
  }
}
