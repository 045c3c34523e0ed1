export {
  canonicalQuery,
  canonicalRequest,
  normalizePercentEncoding,
  type RequestHashInput,
  requestHash,
  splitTarget,
} from './request-hash.js';
