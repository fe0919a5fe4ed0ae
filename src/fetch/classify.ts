/** Maps the errors undici, net, tls, dns and zlib raise to our stable ErrorCodes. */
import { CrawlError, ErrorCodes, type ErrorCode } from '../errors.js';
import { isDecodeError } from './decompress.js';

/** What the fetcher knows about why an attempt ended, beyond the error object itself. */
export interface AbortState {
  /** Our own wall-clock deadline fired. */
  deadline: boolean;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO',
]);

/** Walks `cause` chains (undici wraps net errors) and yields every error code found. */
function codesOf(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err as { code?: unknown; cause?: unknown } | null, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') out.push(e.code);
    // AggregateError from happy-eyeballs connects carries the per-address errors.
    const errors = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(errors)) for (const x of errors) out.push(...codesOf(x));
  }
  return out;
}

/** Picks the ErrorCode for a failed attempt. `state.deadline` wins: an abort caused by it is a timeout. */
export function classifyError(err: unknown, state: AbortState): ErrorCode {
  if (state.deadline) return ErrorCodes.TOTAL_TIMEOUT;
  if (err instanceof CrawlError) return err.code;
  if (isDecodeError(err)) return ErrorCodes.DECODE_FAILED;
  for (const code of codesOf(err)) {
    switch (code) {
      case 'PRIVATE_ADDRESS': return ErrorCodes.PRIVATE_ADDRESS;
      case 'UND_ERR_CONNECT_TIMEOUT': case 'ETIMEDOUT': return ErrorCodes.CONNECT_TIMEOUT;
      case 'UND_ERR_HEADERS_TIMEOUT': return ErrorCodes.HEADERS_TIMEOUT;
      case 'UND_ERR_BODY_TIMEOUT': return ErrorCodes.BODY_TIMEOUT;
      case 'ECONNRESET': case 'EPIPE': case 'ECONNABORTED':
      case 'UND_ERR_SOCKET': case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH': case 'UND_ERR_PRX_CONN':
      case 'HPE_INVALID_CHUNK_SIZE': case 'HPE_INVALID_EOF_STATE':
        return ErrorCodes.CONNECTION_RESET;
      case 'ECONNREFUSED': return ErrorCodes.CONNECTION_REFUSED;
      case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EHOSTDOWN': case 'ENETDOWN': case 'EADDRNOTAVAIL':
        return ErrorCodes.HOST_UNREACHABLE;
      case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_FAIL': case 'EAI_NONAME': case 'EAI_NODATA':
        return ErrorCodes.DNS_FAILED;
      default:
        if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return ErrorCodes.TLS_FAILED;
    }
  }
  return ErrorCodes.NETWORK_ERROR;
}

/** Failures that are a property of the target, not of the moment: retrying cannot help. */
const FINAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.PRIVATE_ADDRESS, ErrorCodes.BODY_TOO_LARGE, ErrorCodes.DECODE_FAILED, ErrorCodes.TLS_FAILED,
]);

/** Whether an attempt that failed with `code` is worth another try. */
export function isRetryableError(code: ErrorCode): boolean {
  return !FINAL.has(code);
}

/** Whether an HTTP status is worth another try: 408, 429 and 5xx except 501 Not Implemented. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

/** A short, single-line message for the page row. */
export function errorMessage(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { message?: unknown } } | null;
  let msg = e && typeof e.message === 'string' ? e.message : String(err);
  if (e?.cause && typeof e.cause.message === 'string' && !msg.includes(e.cause.message)) msg += `: ${e.cause.message}`;
  return msg.replace(/\s+/g, ' ').slice(0, 500);
}
