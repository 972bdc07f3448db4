/** Request/response over a transport. */
export * from './connection.js';
export * from './errors.js';
