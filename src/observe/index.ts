export * from './trace.js';
export * from './coverage.js';
export * from './profile.js';
