export * from './client';
export * from './levers';
export * from './oracles';
