/**
 * MLLP transport: framing, a listener and a pipelining client. Pure transport: it moves payload bytes
 * and knows nothing of HL7 semantics or storage; the application answers each payload with reply bytes.
 */
export {
  MllpClient,
  type MllpClientOptions,
  type MllpClientTlsOptions,
  type MllpConnectOptions,
  type MllpSendAllOptions,
  type MllpSendAllResult,
  type MllpSendOptions,
} from './client.ts';
export { certificateFingerprint, normalizeFingerprint } from './fingerprint.ts';
export {
  CR,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_PARTIAL_BYTES,
  type DecoderCounters,
  type FrameErrorReason,
  FS,
  frame,
  frameAll,
  frameErrorToCrosswalkError,
  type MalformedFrame,
  MllpDecoder,
  type MllpDecoderOptions,
  newDecoderCounters,
  VT,
} from './framing.ts';
export { createMllpListener, type MllpCloseOptions, MllpListener } from './listener.ts';
export type {
  MllpConnectionCloseReason,
  MllpFrameErrorHandler,
  MllpFrameErrorInfo,
  MllpHandlerErrorHandler,
  MllpListenerEvent,
  MllpListenerOptions,
  MllpListenerStats,
  MllpMessageContext,
  MllpMessageHandler,
  MllpRefusalReason,
  MllpReply,
  MllpTlsOptions,
} from './types.ts';
