import { readdirSync, readFileSync } from 'node:fs';
import type { RouteKey } from './routes.js';

/**
 * The scenario vectors: plain JSON data in `conformance/vectors/*.json`, interpreted by the runner.
 * A vector file is `{ "scenarios": Scenario[] }`.
 */

/** A capability a scenario needs; a fixture that lacks it gets the scenario skipped. */
export type Capability =
  /** Serves the engine's mounted routes (the embedded broker) under its prefix. */
  | 'mounted-routes'
  /** The fixture app enables CORS its framework's own way, before the payment gate. */
  | 'cors';

/** Every capability; fixtures support all of them unless they say otherwise. */
export const CAPABILITIES: readonly Capability[] = ['mounted-routes', 'cors'];

/** Engine settings of one scenario (the rest of the context is fixed). */
export interface ScenarioConfig {
  /**
   * `test` (default): the deterministic test method, injected clock. `hitpay`: the real `hitpay`
   * method over the embedded broker (PGlite) against the offline HitPay sandbox, real clock.
   */
  profile?: 'test' | 'hitpay';
  /** Test method names, in offer order (default `["test"]`). */
  methods?: string[];
  requireTls?: boolean;
  trustProxy?: boolean;
  paymentAuthorizationHeader?: boolean;
  version?: '00' | '01';
}

export interface Scenario {
  /** Unique, short, lower-case; the test title is `<requirements> <name>`. */
  name: string;
  /** What it checks: `R1`…`R66` of research/spec.md §5, or `ADAPTER-n` (adapter contract, README). */
  requirements: string[];
  /**
   * A known defect outside the adapters (core), with its explanation: the scenario runs as
   * `it.fails` for every adapter, and fails loudly once the defect is fixed so the marker goes.
   */
  knownIssue?: string;
  capabilities?: Capability[];
  config?: ScenarioConfig;
  steps: Step[];
}

export interface Step {
  /** Why this step exists, when it is not obvious. */
  note?: string;
  /** Seconds to move the engine clock before sending. */
  advance?: number;
  /** Send this many identical copies concurrently (expectations then use `statusCounts`). */
  repeat?: number;
  request: RequestSpec;
  expect: Expectation;
}

export interface RequestSpec {
  /** Default `GET`. */
  method?: string;
  /** The raw request target, sent byte for byte (no client-side normalization). */
  path: string;
  headers?: Record<string, string>;
  /** A JSON body (sent with `Content-Type: application/json`). */
  json?: unknown;
  /** A raw text body. */
  body?: string;
  credential?: CredentialSpec;
}

/** How to build the Payment credential of a request. */
export interface CredentialSpec {
  /** The field carrying it (default `authorization`). */
  field?: 'authorization' | 'payment-authorization';
  /** A literal header value (`Payment !!!`). */
  raw?: string;
  /** `Payment ` + base64url of this text (malformed JSON, missing members…). */
  base64url?: string;
  /** Answer the challenge of this earlier step (default: the latest step that got one). */
  from?: number;
  /** Which challenge of that step: its index, or its method name (default 0). */
  challenge?: number | string;
  /** Replace echoed challenge members; `null` drops the member. */
  tamper?: Record<string, string | null>;
  /** The payload (default `{ "proof": "ok-<step number>" }`). */
  payload?: Record<string, unknown>;
  /** Add unknown members to the credential, its challenge and its payload (R35). */
  unknownMembers?: boolean;
  /** Send exactly the credential sent at this earlier step. */
  reuse?: number;
  /** Pad the header value to at least this many characters (raw: with `A`; built: a payload member). */
  padTo?: number;
  /** Send a second credential too: another `Authorization` line, `Payment-Authorization`, or in the same line. */
  duplicate?: 'authorization' | 'payment-authorization' | 'same-line';
  /**
   * hitpay profile: open the challenge's checkout at its broker and pay it in the sandbox (true),
   * or open it without paying (`"unpaid"`); the payload then names the HitPay payment request.
   */
  pay?: true | 'unpaid';
}

/** A check on one response header. */
export interface HeaderRule {
  present?: boolean;
  equals?: string;
  /** Each item must appear in the value (case-insensitive). */
  contains?: string[];
  /** A regular expression the value must match. */
  matches?: string;
}

/** Checks on the challenges of a response. */
export interface ChallengeRule {
  count?: number;
  /** Method names, in order. */
  methods?: string[];
  /** The first challenge id equals the one step `sameAs` received (a re-issued challenge). */
  sameAs?: number;
  /** `header` parameter value; `null` = absent. */
  header?: string | null;
  /** Decoded request `amount` / `currency`. */
  amount?: string;
  currency?: string;
  /** `digest` equals the RFC 9530 digest of this request's body (true) or is absent (false). */
  digestOfBody?: boolean;
}

export interface Expectation {
  status?: number | number[];
  /** For repeated steps: how many responses had each status. */
  statusCounts?: Record<string, number>;
  headers?: Record<string, HeaderRule>;
  /**
   * Problem type suffix (`payment-required`), or the suffixes the spec leaves open; also checks
   * problem+json and the body's status.
   */
  problem?: string | string[];
  /** Challenges: the well-formedness battery (R4–R15) always runs on any challenge received. */
  challenges?: ChallengeRule;
  /** A valid success receipt for the credential sent (true) or no `Payment-Receipt` (false). */
  receipt?: boolean;
  /** Exact text, or a JSON value the body must contain (deep subset). */
  body?: { text?: string; json?: unknown };
  /** Handler runs so far, by route key; `*` is the sum over protected routes. */
  runs?: Partial<Record<RouteKey | '*', number>>;
  /** Test-method counters so far (summed over methods); waited for, as settlement is asynchronous. */
  stats?: { verifyCalls?: number; commits?: number; releases?: number };
  /** hitpay profile: HitPay sandbox counters since the scenario began. */
  sandbox?: { paymentRequests?: number; completed?: number };
  /** hitpay profile: the receipt's JWS verifies against the broker's JWKS and names the challenge. */
  signedReceipt?: boolean;
}

/** A vector file's scenarios, with the file they came from. */
export interface LoadedScenario extends Scenario {
  readonly file: string;
}

const VECTORS_DIR = new URL('../vectors/', import.meta.url);

/** Reads every scenario of `conformance/vectors/*.json`, in file and declaration order. */
export function loadScenarios(): LoadedScenario[] {
  const out: LoadedScenario[] = [];
  for (const file of readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const data = JSON.parse(readFileSync(new URL(file, VECTORS_DIR), 'utf8')) as { scenarios: Scenario[] };
    for (const s of data.scenarios) out.push({ ...s, file });
  }
  return out;
}

/** The vitest title of a scenario: its requirements, then its name. */
export function scenarioTitle(s: Scenario): string {
  return `${s.requirements.join(' ')} ${s.name}`;
}
