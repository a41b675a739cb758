import type { ESLint } from 'eslint';

export declare const LAYERS: Record<string, string[]>;
declare const plugin: ESLint.Plugin;
export default plugin;
