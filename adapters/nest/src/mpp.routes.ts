import type { CompiledRoute, Mpp, RouteInput } from '@hit-pay/mpp';
import { Inject, Injectable } from '@nestjs/common';
import { MPP } from './mpp.constants.js';

/** Compiled `@MppProtected` routes, one per price object (compiled at start-up by `MppModule`). */
@Injectable()
export class MppRoutes {
  private readonly compiled = new WeakMap<object, CompiledRoute>();

  constructor(@Inject(MPP) private readonly mpp: Mpp) {}

  /** The compiled route of a price; compiles (and validates) it on first sight. */
  for(input: RouteInput, label: string): CompiledRoute {
    const known = this.compiled.get(input);
    if (known) return known;
    const route = this.mpp.engine.route(input, label);
    this.compiled.set(input, route);
    return route;
  }
}
