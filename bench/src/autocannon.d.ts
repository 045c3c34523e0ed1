/** The part of autocannon 9's API the HTTP benchmark uses (the package ships no types). */
declare module 'autocannon' {
  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    requests?: Request[];
  }
  interface Histogram {
    average: number;
    total: number;
    p50: number;
    p99: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats?: Record<string, { count: number }>;
    start: Date;
    finish: Date;
  }
  interface Instance extends PromiseLike<Result> {
    on(event: 'response', listener: (...args: unknown[]) => void): Instance;
  }
  function autocannon(options: Options): Instance;
  export default autocannon;
}
