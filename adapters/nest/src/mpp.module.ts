import { type Mpp, type MppSource, mppOf } from '@hit-pay/mpp';
import {
  type DynamicModule,
  Global,
  Inject,
  type InjectionToken,
  type MiddlewareConsumer,
  Module,
  type ModuleMetadata,
  type NestModule,
  type OnModuleInit,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { MPP, MppPrice } from './mpp.constants.js';
import { MppExceptionFilter } from './mpp.exception.js';
import { MppGuard } from './mpp.guard.js';
import { MppMountMiddleware } from './mpp.middleware.js';

const PKG = '@hit-pay/mpp-nest';

/** Options of `MppModule.forRoot`: core's `createMpp` options, or an `Mpp` you already created as `{ mpp }`. */
export type MppModuleOptions = MppSource;

/** Options of `MppModule.forRootAsync`: a factory (with its injected dependencies) giving the options. */
export interface MppModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => MppModuleOptions | Promise<MppModuleOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
}

/**
 * HitPay MPP for NestJS (global): provides the engine, compiles every `@MppProtected` price when the
 * application initializes, and serves the engine's mounted routes (the embedded broker). Runs on
 * platform-express and platform-fastify; create the app with `{ rawBody: true }`.
 *
 * @example
 * // HitPay settings from the environment (HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, …)
 * \@Module({ imports: [MppModule.forRoot({})], controllers: [ForecastController] })
 * class AppModule {}
 * const app = await NestFactory.create(AppModule, { rawBody: true });
 */
@Global()
@Module({})
export class MppModule implements OnModuleInit, NestModule {
  constructor(
    @Inject(MPP) private readonly mpp: Mpp,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  /** Configures the module now; bad options throw `MppConfigError` here. */
  static forRoot(options: MppModuleOptions): DynamicModule {
    return MppModule.with([], { provide: MPP, useValue: mppOf(options, PKG) });
  }

  /** Configures the module from a factory; bad options throw while the application bootstraps. */
  static forRootAsync(options: MppModuleAsyncOptions): DynamicModule {
    return MppModule.with(options.imports ?? [], {
      provide: MPP,
      useFactory: async (...args: never[]) => mppOf(await options.useFactory(...args), PKG),
      inject: options.inject ?? [],
    });
  }

  private static with(imports: ModuleMetadata['imports'] & {}, mpp: Provider): DynamicModule {
    const providers = [mpp, MppGuard, MppExceptionFilter];
    return {
      module: MppModule,
      imports: [DiscoveryModule, ...imports],
      providers,
      exports: [MPP, MppGuard, MppExceptionFilter],
    };
  }

  /** Start-up validation: every `@MppProtected` price is compiled now, so a bad one fails `init()`. */
  onModuleInit(): void {
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype as Record<string, () => unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const price = this.reflector.getAllAndOverride(MppPrice, [prototype[name]!, metatype]);
        if (price !== undefined) this.mpp.engine.routeOf(price, `${metatype.name}.${name}`);
      }
    }
  }

  configure(consumer: MiddlewareConsumer): void {
    // Nothing mounted (no embedded broker, no discovery): no middleware, so the app's other routes
    // do not pay its path checks on every request.
    const { prefixes, paths } = this.mpp.engine.mountedPaths();
    const routes = [...prefixes.flatMap((p) => [p, `${p}/{*path}`]), ...paths];
    if (routes.length > 0) consumer.apply(MppMountMiddleware).forRoutes(...routes);
  }
}
