/**
 * Node-only storage for agents: a receipt ledger in a JSON-lines file and grant files, both under
 * `~/.mpp/` by default, written with owner-only permissions.
 *
 * @module
 */
export { defaultMppHome, FileLedger } from './file-ledger.js';
export { loadGrant, saveGrant } from './grants.js';
