// The Stripe integration: verify a webhook delivery, then map it to Affable events (api.md).
export * from './verify.js';
export * from './map.js';
