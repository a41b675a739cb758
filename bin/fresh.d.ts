/** See fresh.js. */
export function freshCli(root: string): { path: string; why?: undefined } | { path?: undefined; why: string };
