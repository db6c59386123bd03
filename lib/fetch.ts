/**
 * The entry of `dist/fetch.cjs`: the Fetch adapter (lib/fetch/), loaded by the server only when a
 * `fetch` handler is given.
 */
export { createFetchListener } from './fetch/adapter.js';
