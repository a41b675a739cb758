// Workflow entry for the worker's bundle: every exported function is a workflow type.
export { incident } from './incident';
