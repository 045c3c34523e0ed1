/**
 * The request pipeline: route → faults (header merged over a global rule) → API-key check → body →
 * handler → after-faults → reply → webhooks. Every failure becomes one of HitPay's JSON error
 * bodies; nothing a client sends can crash the server or leave it hanging (except a `hang` fault,
 * which is the point).
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { authenticate } from '../businesses.js';
import type { Handler, SandboxContext, SandboxRequest } from '../context.js';
import { refused, SandboxHttpError } from '../errors.js';
import { type FaultSpec, parseFaultSpec } from '../faults.js';
import { exemptFromFaultRules } from '../sandbox-routes.js';
import type { OutgoingWebhook } from '../webhooks/dispatcher.js';
import { parseBody, parseFormFields, readBody } from './body.js';
import { json, type Reply, writeReply } from './reply.js';
import type { Router } from './router.js';

/** Header carrying per-request fault directives (see `faults.ts`). */
export const FAULT_HEADER = 'x-sandbox-fault';

const INJECTED_MESSAGES: Record<number, string> = {
  429: 'Too Many Attempts.',
  500: 'Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** HitPay/Laravel's body for an injected status. */
export function injectedError(status: number): Reply {
  const message = INJECTED_MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error';
  return json(status, { message }, status === 429 ? { 'Retry-After': '1' } : undefined);
}

const errorReply = (e: SandboxHttpError): Reply => json(e.status, e.body, { ...e.headers });

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Pipeline dependencies beyond the context. */
export interface PipelineDeps {
  router: Router<Handler>;
  /** Open responses held by `hang` faults, destroyed on close. */
  hung: Set<ServerResponse>;
  onError(error: unknown): void;
}

function hang(ctx: SandboxContext, deps: PipelineDeps, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const timer = setTimeout(() => writeReply(res, injectedError(504)), ctx.options.hangMs);
  timer.unref();
  deps.hung.add(res);
  res.on('close', () => {
    clearTimeout(timer);
    deps.hung.delete(res);
  });
}

/** Handles one request; never rejects. */
export async function handleRequest(
  ctx: SandboxContext,
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const head = method === 'HEAD';
  const send = (reply: Reply) => {
    if (!req.readableEnded) req.resume();
    writeReply(res, reply, head);
  };
  try {
    ctx.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const match = deps.router.match(method, url.pathname);
    const routePath = url.pathname.replace(/^\/+/, '');
    if (match.kind === 'not-found')
      return send(json(404, { message: `The route ${routePath} could not be found.` }));
    if (match.kind === 'method-not-allowed') {
      const allowed = match.allowed.join(', ');
      return send(
        json(
          405,
          {
            message: `The ${method} method is not supported for route ${routePath}. Supported methods: ${allowed}.`,
          },
          { Allow: allowed },
        ),
      );
    }
    const { route, params } = match;
    const callKey = `${route.method} ${route.pattern}`;
    ctx.stats.calls[callKey] = (ctx.stats.calls[callKey] ?? 0) + 1;

    const header = req.headers[FAULT_HEADER];
    const headerFault = typeof header === 'string' ? parseFaultSpec(header) : {};
    const ruleFault = exemptFromFaultRules(url.pathname) ? undefined : ctx.faults.take(method, url.pathname);
    const fault: FaultSpec = { ...ruleFault, ...headerFault };
    if (Object.keys(fault).length > 0) ctx.stats.faultsApplied++;
    if (fault.latencyMs) await sleep(fault.latencyMs);
    if (fault.hang) return hang(ctx, deps, req, res);
    if (fault.error) return send(injectedError(fault.error));

    let business: SandboxRequest['business'];
    if (route.auth === 'api-key') {
      business = authenticate(ctx, req.headers['x-business-api-key']);
      if (!business) {
        ctx.stats.unauthenticated++;
        return send(json(401, ctx.options.unauthenticatedBody));
      }
    }
    const raw = await readBody(req, ctx.options.maxBodyBytes);
    const body = parseBody(raw, req.headers['content-type']);
    const emitted: OutgoingWebhook[] = [];
    let reply: Reply;
    try {
      reply = await route.handler(ctx, {
        method,
        path: url.pathname,
        params,
        query: parseFormFields(url.searchParams),
        body,
        headers: req.headers,
        business,
        fault,
        emit: (webhooks) => emitted.push(...webhooks),
      });
    } catch (error) {
      if (!(error instanceof SandboxHttpError)) throw error;
      reply = errorReply(error);
    }
    if (emitted.length > 0) ctx.webhooks.dispatch(emitted, fault);
    if (fault.hangAfter) return hang(ctx, deps, req, res);
    if (fault.latencyAfterMs) await sleep(fault.latencyAfterMs);
    send(fault.errorAfter ? injectedError(fault.errorAfter) : reply);
  } catch (error) {
    if (error instanceof SandboxHttpError) return send(errorReply(error));
    if (error instanceof TypeError && /Invalid URL/.test(error.message))
      return send(errorReply(refused(400, 'Bad request.')));
    deps.onError(error);
    send(json(500, { message: 'Server Error' }));
  }
}
