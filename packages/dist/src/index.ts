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
