/**
 * The Node.js bridge for adapter authors (Express, Koa, Nest on Express): `IncomingMessage` in,
 * decisions out. Internal to HitPay MPP's adapters; it does not follow semantic versioning.
 *
 * @module
 */
export { readNodeBody } from './body.js';
export { type NodeMiddleware, nodeGate, nodeMiddleware, type OnNodePass } from './middleware.js';
export { type RawRequest, type RawResponse, sendRaw } from './raw-http.js';
export { fromNodeRequest, type NodeRequestOptions } from './request.js';
export { groupHeaders, headerText, settleNodeResponse, writeNodeResponse } from './response.js';
export { fromNodeStream } from './stream-body.js';
