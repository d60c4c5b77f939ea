// Errors of the admin side (HTTP server, client, `mqstore admin`, `mqstore verify`) with stable
// codes. StoreError's codes belong to the engine; these are the admin tool's own. Messages may
// change, codes do not. The CLI prints `code: message` and exits 1 for any of them, except
// ERR_ADMIN_REFUSED (the caller's credentials or request are wrong): 2, as for usage errors.

export const AdminErrorCode = {
  /** The admin address could not be reached (refused, unknown host, timeout). */
  UNREACHABLE: 'ERR_ADMIN_UNREACHABLE',
  /** The admin server answered with an HTTP error status. */
  HTTP: 'ERR_ADMIN_HTTP',
  /** The admin server refused the caller: 401 (no or wrong token), 403 (Host/Origin), 415 (not JSON). */
  REFUSED: 'ERR_ADMIN_REFUSED',
  /** The admin server answered with something that is not the expected JSON. */
  BAD_RESPONSE: 'ERR_ADMIN_BAD_RESPONSE',
  /** The HA service's status does not have the documented shape. */
  BAD_HA_STATUS: 'ERR_ADMIN_BAD_HA_STATUS',
  /** `mqstore node` could not start a part (admin or HA port in use, ...); the store was closed. */
  NODE_START: 'ERR_ADMIN_NODE_START',
  /** A CommitLog directory given to verify cannot be read as one. */
  BAD_LOG_DIR: 'ERR_ADMIN_BAD_LOG_DIR',
} as const;

export type AdminErrorCodeValue = (typeof AdminErrorCode)[keyof typeof AdminErrorCode];

export class AdminError extends Error {
  readonly code: AdminErrorCodeValue;

  constructor(code: AdminErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminError';
    this.code = code;
  }
}
