/** Every sender the intake understands, by the name in its URL: `POST /alerts/<name>`. */
import { alertmanager } from './alertmanager';
import { generic } from './generic';
import { grafana } from './grafana';
import { pagerduty } from './pagerduty';
import type { AlertSource, SourceName } from './types';

export const SOURCES: Record<SourceName, AlertSource> = { alertmanager, grafana, pagerduty, generic };
