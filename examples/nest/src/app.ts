import 'reflect-metadata';
import { forecast, hourly, PRICES, validZip } from '@hit-pay/example-weather';
import type { Payment } from '@hit-pay/mpp';
import {
  MppModule,
  type MppModuleOptions,
  MppPayment,
  MppProtected,
  MppProtectedSavedMethod,
} from '@hit-pay/mpp-nest';
import { Controller, type DynamicModule, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller()
class WeatherController {
  @Get('health')
  health() {
    return { ok: true };
  }

  @Get('forecast/:zip')
  @MppProtected(PRICES.forecast)
  today(@Param('zip') zip: string, @MppPayment() payment: Payment) {
    if (!validZip(zip)) throw new NotFoundException('unknown postcode');
    return { ...forecast(zip), paid: payment.reference };
  }

  @Get('forecast/:zip/hourly')
  @MppProtectedSavedMethod({
    ...PRICES.hourly,
    customerEmail: (req) => req.headers.get('x-user-email') ?? undefined,
  })
  perHour(@Param('zip') zip: string, @MppPayment() payment: Payment) {
    return { zip, hours: hourly(zip), remaining: payment.details?.remaining };
  }
}

/** The weather API on NestJS (platform-express by default). */
export async function buildApp(options: MppModuleOptions = {}) {
  @Module({ imports: [MppModule.forRoot(options) as DynamicModule], controllers: [WeatherController] })
  class AppModule {}
  // rawBody: the payment binds the exact request body, so Nest must keep its bytes.
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: false });
  await app.init();
  return app;
}
