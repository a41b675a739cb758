export * from './types';
export * from './registry';
export { alertmanager } from './alertmanager';
export { grafana } from './grafana';
export { pagerduty } from './pagerduty';
export { generic, genericPayload, type GenericPayload } from './generic';
