import { type Mpp, type MppSource, mppOf } from '@hit-pay/mpp';
import { nodeMiddleware } from '@hit-pay/mpp/node';
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
  type Type,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { MPP, MppExceptionFilter, MppGuard, MppPrice, PKG } from './mpp.guard.js';

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
@Module({ imports: [DiscoveryModule] })
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
  static forRootAsync({ imports = [], inject = [], useFactory }: MppModuleAsyncOptions): DynamicModule {
    const factory = async (...args: never[]) => mppOf(await useFactory(...args), PKG);
    return MppModule.with(imports, { provide: MPP, useFactory: factory, inject });
  }

  private static with(imports: ModuleMetadata['imports'] & {}, mpp: Provider): DynamicModule {
    const parts = [MppGuard, MppExceptionFilter];
    return { module: MppModule, imports, providers: [mpp, ...parts], exports: [MPP, ...parts] };
  }

  /** Start-up validation: every `@MppProtected` price is compiled now, so a bad one fails `init()`. */
  onModuleInit(): void {
    // A controller's wrapper always has its class as `metatype`.
    for (const { metatype } of this.discovery.getControllers() as { metatype: Type }[]) {
      const prototype = metatype.prototype as Record<string, () => unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const price = this.reflector.getAllAndOverride(MppPrice, [prototype[name]!, metatype]);
        if (price !== undefined) this.mpp.engine.routeOf(price, `${metatype.name}.${name}`);
      }
    }
  }

  /**
   * Serves the engine's mounted routes (the embedded broker, discovery) under its prefix, through
   * core's Node middleware: Nest middleware gets Node's request and response on both platforms.
   */
  configure(consumer: MiddlewareConsumer): void {
    // Nothing mounted: no middleware, so the app's other routes do not pay its path checks.
    const routes = this.mpp.engine.mountedPaths('{*path}');
    if (routes.length > 0) consumer.apply(nodeMiddleware(this.mpp.engine)).forRoutes(...routes);
  }
}
