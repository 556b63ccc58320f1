// Imported first by main.ts: telemetry must patch http and undici before anything loads them.
import '@tidings/telemetry/source-maps';
import { loadConfigOrExit, loadTelemetryConfig } from '@tidings/config';
import { startTelemetry } from '@tidings/telemetry';

// Without undici's instrumentation: the proxy's upstream requests go to customer endpoints and
// carry no trace context unless EGRESS_PROPAGATE_TRACE_CONTEXT says so (forward-proxy.ts).
startTelemetry(loadConfigOrExit(() => loadTelemetryConfig(process.env, 'tidings-egress')), { undici: false });
