export * from './catalogue';
export * from './grammar';
export * from './actions';
export * from './input';
export * from './progress';
export * from './definitions';
export * from './results';
export * from './identity';
