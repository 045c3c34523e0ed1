/**
 * The Payment scheme over JSON-RPC 2.0 and the Model Context Protocol
 * (draft-payment-transport-mcp-00): `mcpPayments(mpp, { tools })` gates priced tools, prompts,
 * resources and JSON-RPC methods with the same engine as HTTP, as JSON-RPC middleware (`handle`)
 * or around an MCP SDK transport (`wrap`).
 *
 * @module
 */
export {
  type ChallengeObject,
  CREDENTIAL_META,
  JsonRpcCode,
  type JsonRpcError,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
  RECEIPT_META,
  toChallengeObject,
} from './jsonrpc.js';
export { type JsonRpcNext, type McpPayments, type McpPaymentsOptions, mcpPayments } from './payments.js';
export type { McpTransport, WrappedTransport } from './transport.js';
