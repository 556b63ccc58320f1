import { Controller, Get } from '@nestjs/common';
import { OPENAPI_DOCUMENT } from './openapi-document';

/** Serves the API description; no key needed to read it. */
@Controller('api/v2')
export class OpenApiController {
  @Get('openapi.json')
  document(): typeof OPENAPI_DOCUMENT {
    return OPENAPI_DOCUMENT;
  }
}
