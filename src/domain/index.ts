// The public API of the pure commission engine. The app layer codes against this file only.
export * from './errors.js';
export * from './money.js';
export * from './time.js';
export * from './usernames.js';
export * from './plan.js';
export * from './program.js';
export * from './facts.js';
export * from './attribution.js';
export * from './tiers.js';
export * from './ledger.js';
export * from './commissions.js';
export * from './payouts.js';
export * from './reassignment.js';
export * from './explain.js';
export * from './engine.js';
