/**
 * Request bodies: read with a size cap, then decoded from JSON or from PHP-style form fields
 * (`payment_methods[]=a&payment_methods[]=b`, `metadata[k]=v`) into one plain shape, because HitPay
 * accepts both encodings on every endpoint.
 */
import type { IncomingMessage } from 'node:http';
import { refused, SandboxHttpError } from '../errors.js';
import type { Input } from '../validation.js';

/**
 * Reads the whole body, refusing more than `limit` bytes with HitPay-style 413 as soon as the
 * declared or received length passes it (the rest is drained, never buffered).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new SandboxHttpError(413, { message: 'The request entity is too large.' });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!over) reject(refused(400, `The request body could not be read: ${error.message}`));
    });
  });
}

const MAX_DEPTH = 5;
const MAX_FIELDS = 1000;

/** Splits `a[b][]` into `['a', 'b', '']`; malformed brackets keep the whole key as one name. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || !key.endsWith(']')) return [key];
  const head = key.slice(0, open);
  const rest = key.slice(open);
  const parts = rest.match(/\[([^[\]]*)\]/g);
  if (!parts || parts.join('') !== rest) return [key];
  return [head, ...parts.map((p) => p.slice(1, -1))];
}

/**
 * Decodes form fields into nested objects and arrays, PHP-style. Objects are null-prototype while
 * being built (so `__proto__` is just a key) and copied into plain data at the end.
 */
export function parseFormFields(params: URLSearchParams): Input {
  const root: Record<string, unknown> = Object.create(null);
  let count = 0;
  for (const [key, value] of params) {
    if (++count > MAX_FIELDS) break;
    const path = keyPath(key).slice(0, MAX_DEPTH);
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      const nextIsPush = path[i + 1] === '';
      if (Array.isArray(node)) {
        if (last) {
          node.push(value);
          break;
        }
        const child: Record<string, unknown> | unknown[] = nextIsPush ? [] : Object.create(null);
        node.push(child);
        node = child;
        continue;
      }
      if (last) {
        if (seg === '') break;
        node[seg] = value;
        break;
      }
      const existing = node[seg];
      if (nextIsPush ? Array.isArray(existing) : isRecord(existing)) {
        node = existing as Record<string, unknown> | unknown[];
      } else {
        const child: Record<string, unknown> | unknown[] = nextIsPush ? [] : Object.create(null);
        node[seg] = child;
        node = child;
      }
    }
  }
  return toPlain(root) as Input;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}

/**
 * Decodes a body by its Content-Type: JSON (must be an object), form-encoded, or (no type given)
 * whichever it looks like. Bad JSON and unsupported types are 400s with HitPay's `{message}` shape.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): Input {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  const looksJson = /^\s*[[{]/.test(text);
  if (type === 'application/json' || type.endsWith('+json') || (type === '' && looksJson)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw refused(400, 'The request body is not valid JSON.');
    }
    if (!isRecord(parsed)) throw refused(400, 'The request body must be a JSON object.');
    return parsed;
  }
  if (type === 'application/x-www-form-urlencoded' || type === '' || type === 'text/plain') {
    return parseFormFields(new URLSearchParams(text));
  }
  throw new SandboxHttpError(415, { message: `Unsupported content type "${type}".` });
}

/** Encodes flat fields (and string arrays as `key[]`) as `application/x-www-form-urlencoded`. */
export function encodeForm(fields: Record<string, string | readonly string[]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') params.append(k, v);
    else for (const item of v) params.append(`${k}[]`, item);
  }
  return params.toString();
}
