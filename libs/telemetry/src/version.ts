/** Sent as `User-Agent: Tidings/<version>` and as the service.version resource attribute. */
export const TIDINGS_VERSION = '0.1.0';
