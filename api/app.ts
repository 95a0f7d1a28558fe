// The Express application: routes, body parsing and error rendering. No I/O at construction.
import express, { type Express } from 'express';
import { ApiError } from '../domain/errors.ts';
import { requireAccount, requireAdmin } from './auth.ts';
import type { ApiDependencies } from './dependencies.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { adminAccountRoutes } from './routes/admin-accounts.ts';
import { healthRoutes } from './routes/health.ts';
import { ledgerRoutes } from './routes/ledger.ts';

/** Bodies are small JSON documents; anything larger is refused before it is parsed. */
export const maximumBodySize = '64kb';

export function createApp(dependencies: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(healthRoutes(dependencies));
  // Raw-body routes (webhooks) are mounted above this line: their signature is over the exact bytes.

  app.use((request, _response, next) => {
    const hasBody = request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0';
    if ((hasBody || request.headers['transfer-encoding'] !== undefined) && !request.is('application/json')) {
      return next(new ApiError('unsupported_media_type', 'Send the body as application/json.'));
    }
    next();
  });
  app.use(express.json({ limit: maximumBodySize, strict: true, type: 'application/json' }));

  app.use('/admin', requireAdmin(dependencies.sql, dependencies.config.api.adminToken));
  app.use(adminAccountRoutes(dependencies));

  app.use('/v1', requireAccount(dependencies.sql));
  app.use(ledgerRoutes(dependencies));

  app.use(notFoundHandler);
  app.use(errorHandler(dependencies.logger));
  return app;
}
