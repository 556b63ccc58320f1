// Imported first by main.ts: telemetry must patch http, pg and undici before anything loads them.
import '@tidings/telemetry/source-maps';
import { loadConfigOrExit, loadTelemetryConfig } from '@tidings/config';
import { startTelemetry } from '@tidings/telemetry';

startTelemetry(loadConfigOrExit(() => loadTelemetryConfig(process.env, 'tidings-subscriptions')));
