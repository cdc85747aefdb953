export {};
export {
  GroveDistError,
  BadNodeNameError,
  CookieError,
  EpmdError,
  FrameTooLargeError,
  HandshakeError,
  type HandshakeFailure,
} from './errors';
export {
  parseNodeName,
  isNodeName,
  nodeNameKind,
  makeNodeName,
  localHostName,
  aliveOf,
  hostOf,
  MAX_NODE_NAME_BYTES,
  type NodeName,
  type NodeNameKind,
} from './node_name';
export {
  resolveCookie,
  resolveCookieWithSource,
  cookieFilePath,
  randomCookie,
  readCookieFile,
  createCookieFile,
  COOKIE_FILE_NAME,
  COOKIE_ENV,
  MAX_COOKIE_BYTES,
  type CookieOptions,
  type CookieSource,
} from './cookie';
export {
  FrameDecoder,
  FrameWriter,
  encodeFrame,
  readFrames,
  FRAME_HEADER_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_WRITE_HIGH_WATER_BYTES,
  type FrameHandler,
  type FrameDecoderOptions,
  type FrameSink,
  type FlushMode,
  type FrameWriterOptions,
} from './framing';
