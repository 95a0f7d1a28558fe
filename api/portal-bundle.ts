// Where the billing portal's front end is built to (scripts/build-portal.ts) and served from
// (api/routes/portal.ts): dist/portal/, git-ignored, rebuilt from portal/src by `npm run build`,
// `npm start`, `npm test` and the Dockerfile.
import path from 'node:path';

export const portalBundleDirectory = path.resolve(import.meta.dirname, '..', 'dist', 'portal');

/** The files of the bundle, by the name the pages ask for: the only names GET /portal/assets/:file serves. */
export const portalAssetFiles = ['portal.js', 'portal.css'] as const;
