// docker-compose.yml, checked against the rest of the project without starting a container: the
// services the README describes, pinned images, the start order, and an environment that the
// config loader accepts and that points at the compose services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError, configEnvironmentVariables, loadConfig } from '../config/config.ts';
import { processArguments } from '../dev/process-bundles.ts';

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

/** The services of docker-compose.yml, in start order; the README's deployment section names each. */
const composeServiceNames = [
  'postgresql',
  'temporal-admin-tools',
  'temporal',
  'temporal-create-namespace',
  'temporal-ui',
  'mailpit',
  'migrate',
  'worker',
  'paperwork',
  'api',
  'prometheus',
  'grafana',
] as const;

/** The services built from the repository's Dockerfile, each running one entry point. */
const refillServiceNames = ['migrate', 'worker', 'paperwork', 'api'] as const;
/** The long-running Refill processes, which read the whole configuration. */
const refillProcessNames = ['worker', 'paperwork', 'api'] as const;
/** Variables config.ts has no default for. */
const requiredConfigVariables = ['DATABASE_URL', 'ADMIN_TOKEN'] as const;

/** What an operator puts in .env (see deploy/env.example): the required secrets only. */
const sampleDotEnv: Readonly<Record<string, string>> = {
  POSTGRES_PASSWORD: 'sample-postgres-password',
  REFILL_DATABASE_PASSWORD: 'sample-refill-password',
  ADMIN_TOKEN: 'sample-admin-token-0123456789',
  GRAFANA_ADMIN_PASSWORD: 'sample-grafana-password',
};

type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: DependencyCondition }>;
  healthcheck?: { test?: string | string[] };
  restart?: string;
  volumes?: (string | { type?: string; source?: string })[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const composeText = readFileSync(path.join(repositoryRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText) as ComposeFile;

function service(name: string): ComposeService {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has no service ${name}`);
  return found;
}

/** A service's environment as written in the file, before interpolation, in either of compose's two forms. */
function rawEnvironment(name: string): Record<string, string> {
  const environment = service(name).environment ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((line): [string, string] => {
        const separator = line.indexOf('=');
        return separator === -1 ? [line, ''] : [line.slice(0, separator), line.slice(separator + 1)];
      })
    : Object.entries(environment).map(([key, value]): [string, string] => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(entries);
}

/** Thrown where compose itself would refuse to start: a `${NAME:?message}` whose variable is unset or empty. */
class MissingVariableError extends Error {
  override name = 'MissingVariableError';
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

const interpolationPattern = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}|\$/g;

/** Resolves compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (and `$$`) the way compose does. */
function interpolate(text: string, dotEnv: Readonly<Record<string, string>>): string {
  return text.replace(interpolationPattern, (match, name?: string, operator?: string, argument?: string) => {
    if (match === '$$') return '$';
    if (name === undefined) throw new Error(`unsupported interpolation in ${JSON.stringify(text)}`);
    const value = dotEnv[name];
    const isSet = value !== undefined && value !== '';
    if (operator === ':-') return isSet ? value : (argument ?? '');
    if (operator === ':?') {
      if (!isSet) throw new MissingVariableError(name, argument ?? 'required');
      return value;
    }
    return value ?? '';
  });
}

function resolvedEnvironment(name: string, dotEnv: Readonly<Record<string, string>> = sampleDotEnv) {
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(rawEnvironment(name))) environment[key] = interpolate(value, dotEnv);
  return environment;
}

function dependencies(name: string): Record<string, DependencyCondition> {
  const dependsOn = service(name).depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((dependency) => [dependency, 'service_started']));
  return Object.fromEntries(
    Object.entries(dependsOn).map(([dependency, options]) => [dependency, options.condition ?? 'service_started']),
  );
}

/** Every variable name the compose file interpolates, with whether compose requires it (`:?`). */
function interpolatedVariables(): Map<string, { required: boolean }> {
  const variables = new Map<string, { required: boolean }>();
  for (const match of composeText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-|:\?)?/g)) {
    const name = match[1]!;
    const required = match[2] === ':?' || variables.get(name)?.required === true;
    variables.set(name, { required });
  }
  return variables;
}

/** An exact version such as 16.13, 1.31.0 or v1.27.8 (optionally with a variant suffix), or a digest. */
function isPinnedImage(reference: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(reference)) return true;
  const tag = /:([^/:]+)$/.exec(reference)?.[1];
  return tag !== undefined && /^v?\d+\.\d+(\.\d+)?(-[A-Za-z0-9.]+)*$/.test(tag);
}

test('the compose file defines exactly the services the README describes', () => {
  assert.equal(typeof compose, 'object');
  assert.deepEqual(Object.keys(compose.services).sort(), [...composeServiceNames].sort());
});

test('every image is pinned to an exact version and the deprecated auto-setup image is not used', () => {
  for (const [name, definition] of Object.entries(compose.services)) {
    assert.ok(definition.image !== undefined || definition.build !== undefined, `${name} has neither image nor build`);
    if (definition.image === undefined) continue;
    assert.ok(isPinnedImage(definition.image), `${name} uses ${definition.image}, which is not an exact version`);
    assert.doesNotMatch(definition.image, /:latest$/, `${name} uses a latest tag`);
    assert.doesNotMatch(definition.image, /auto-setup/, `${name} uses the deprecated auto-setup image`);
  }
  assert.match(service('temporal').image ?? '', /^temporalio\/server:/);
  assert.match(service('temporal-admin-tools').image ?? '', /^temporalio\/admin-tools:/);
  assert.match(service('temporal-ui').image ?? '', /^temporalio\/ui:/);
});

test('the Temporal server, its schema tools and its UI come from one release line', () => {
  // Schema tools newer or older than the server would leave a schema the server does not expect.
  const serverVersion = service('temporal').image?.split(':')[1];
  assert.equal(service('temporal-admin-tools').image, `temporalio/admin-tools:${serverVersion}`);
  assert.equal(service('temporal-create-namespace').image, `temporalio/admin-tools:${serverVersion}`);
});

test('migrate, worker and api are built from the repository Dockerfile, whose base image is pinned', () => {
  for (const name of refillServiceNames) {
    const build = service(name).build;
    assert.ok(build !== undefined, `${name} is not built from the repository`);
    const context = typeof build === 'string' ? build : (build.context ?? '.');
    const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
    assert.equal(path.resolve(repositoryRoot, context), path.resolve(repositoryRoot), `${name} builds another context`);
    assert.equal(dockerfile, 'Dockerfile', `${name} builds another Dockerfile`);
  }
  const dockerfileText = readFileSync(path.join(repositoryRoot, 'Dockerfile'), 'utf8');
  const baseImages = [...dockerfileText.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)/gm)].map((match) => match[1]!);
  assert.ok(baseImages.length > 0, 'the Dockerfile has no FROM line');
  for (const baseImage of baseImages) {
    assert.ok(isPinnedImage(baseImage), `the Dockerfile starts from ${baseImage}, which is not an exact version`);
    assert.match(baseImage, /^node:20\.\d+\.\d+-bookworm-slim/, 'the base image is not Node 20 on Debian bookworm-slim');
  }
  assert.match(dockerfileText, /^USER node$/m, 'the processes must not run as root');
});

test('each Refill service runs its own entry point from the bundle the image builds, without tsx', () => {
  const entryPoints = { migrate: 'scripts/migrate.ts', worker: 'worker/main.ts', paperwork: 'worker/paperwork-main.ts', api: 'api/main.ts' } as const;
  for (const name of refillServiceNames) {
    assert.deepEqual(service(name).command, ['node', ...processArguments(entryPoints[name]).map((argument) => (path.isAbsolute(argument) ? path.relative(repositoryRoot, argument) : argument))]);
  }
  const dockerfileText = readFileSync(path.join(repositoryRoot, 'Dockerfile'), 'utf8');
  assert.match(dockerfileText, /^RUN .*npm run build:processes/m, 'the image builds the process bundles');
  assert.match(dockerfileText, /^CMD \["node", "--enable-source-maps", "dist\/processes\/api\/main\.mjs"\]$/m);
});

test('the Refill services set only variables that config.ts reads', () => {
  const known = new Set<string>(configEnvironmentVariables);
  for (const name of refillServiceNames) {
    for (const variable of Object.keys(rawEnvironment(name))) {
      assert.ok(known.has(variable), `${name} sets ${variable}, which config/config.ts does not read`);
    }
  }
});

test('worker and api set every variable config.ts has no default for', () => {
  for (const name of refillProcessNames) {
    const environment = rawEnvironment(name);
    for (const variable of requiredConfigVariables) {
      assert.ok(environment[variable], `${name} does not set ${variable}`);
    }
  }
  assert.ok(rawEnvironment('migrate').DATABASE_URL, 'migrate does not set DATABASE_URL');
});

test("the processes' environment, filled in from a sample .env, passes loadConfig and points at the compose services", () => {
  for (const name of refillProcessNames) {
    const config = loadConfig(resolvedEnvironment(name));
    const databaseUrl = new URL(config.database.url);
    assert.equal(databaseUrl.hostname, 'postgresql');
    assert.equal(databaseUrl.pathname, '/refill', 'the application must use its own database, not one of Temporal\'s');
    assert.equal(decodeURIComponent(databaseUrl.password), sampleDotEnv.REFILL_DATABASE_PASSWORD);
    assert.equal(config.temporal.address, 'temporal:7233');
    assert.equal(new URL(config.mail.smtpUrl).hostname, 'mailpit');
    assert.equal(config.stripe.mode, 'sandbox', 'without Stripe keys in .env the sandbox provider is used');
    assert.equal(config.api.port, 3000);
  }
  const migrateUrl = new URL(resolvedEnvironment('migrate').DATABASE_URL ?? '');
  assert.equal(migrateUrl.hostname, 'postgresql');
  assert.equal(migrateUrl.pathname, '/refill');
});

test('values from .env reach the processes and are validated by loadConfig', () => {
  const withStripe = {
    ...sampleDotEnv,
    STRIPE_SECRET_KEY: 'sk_test_sample',
    STRIPE_WEBHOOK_SECRET: 'whsec_sample',
    SMTP_URL: 'smtps://relay.example.com:465',
  };
  const config = loadConfig(resolvedEnvironment('api', withStripe));
  assert.equal(config.stripe.mode, 'stripe');
  assert.equal(config.stripe.webhookSecret, 'whsec_sample');
  assert.equal(config.mail.smtpUrl, 'smtps://relay.example.com:465');

  const keyWithoutWebhookSecret = { ...sampleDotEnv, STRIPE_SECRET_KEY: 'sk_test_sample' };
  assert.throws(
    () => loadConfig(resolvedEnvironment('api', keyWithoutWebhookSecret)),
    (error: unknown) => error instanceof ConfigError && error.message.includes('STRIPE_WEBHOOK_SECRET'),
  );
});

test('compose refuses to start when a required secret is missing from .env', () => {
  const required = [...interpolatedVariables()].filter(([, usage]) => usage.required).map(([name]) => name);
  assert.deepEqual(required.sort(), Object.keys(sampleDotEnv).sort());
  for (const variable of required) {
    const { [variable]: _removed, ...incomplete } = sampleDotEnv;
    assert.throws(
      () => {
        for (const name of composeServiceNames) resolvedEnvironment(name, incomplete);
      },
      (error: unknown) => error instanceof MissingVariableError && error.variable === variable,
      `nothing requires ${variable}`,
    );
  }
});

test('every variable the compose file reads from .env is listed in deploy/env.example', () => {
  const example = readFileSync(path.join(repositoryRoot, 'deploy/env.example'), 'utf8');
  const listed = new Set([...example.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((match) => match[1]));
  for (const variable of interpolatedVariables().keys()) {
    assert.ok(listed.has(variable), `deploy/env.example does not list ${variable}`);
  }
});

test('the namespace job creates the namespace the processes use', () => {
  for (const dotEnv of [sampleDotEnv, { ...sampleDotEnv, TEMPORAL_NAMESPACE: 'refill-production' }]) {
    const namespace = resolvedEnvironment('temporal-create-namespace', dotEnv).NAMESPACE;
    assert.ok(namespace, 'the namespace job has no NAMESPACE');
    for (const name of refillProcessNames) {
      assert.equal(resolvedEnvironment(name, dotEnv).TEMPORAL_NAMESPACE, namespace);
    }
  }
});

test('temporal waits for the schema job to complete successfully, and the schema job for a healthy postgresql', () => {
  assert.equal(dependencies('temporal')['temporal-admin-tools'], 'service_completed_successfully');
  assert.equal(dependencies('temporal-admin-tools').postgresql, 'service_healthy');
  assert.equal(dependencies('temporal-create-namespace').temporal, 'service_healthy');
  assert.equal(dependencies('migrate').postgresql, 'service_healthy');
});

test('worker and api wait for a healthy postgresql, a healthy temporal, the namespace and the migrations', () => {
  for (const name of refillProcessNames) {
    assert.deepEqual(
      {
        postgresql: dependencies(name).postgresql,
        temporal: dependencies(name).temporal,
        'temporal-create-namespace': dependencies(name)['temporal-create-namespace'],
        migrate: dependencies(name).migrate,
      },
      {
        postgresql: 'service_healthy',
        temporal: 'service_healthy',
        'temporal-create-namespace': 'service_completed_successfully',
        migrate: 'service_completed_successfully',
      },
      `${name} starts too early`,
    );
  }
});

test('every dependency condition can be met: health needs a healthcheck, completion a one-shot service', () => {
  for (const name of composeServiceNames) {
    for (const [dependency, condition] of Object.entries(dependencies(name))) {
      assert.ok(compose.services[dependency], `${name} depends on an unknown service ${dependency}`);
      if (condition === 'service_healthy') {
        assert.ok(service(dependency).healthcheck?.test, `${name} waits for ${dependency} to be healthy, which has no healthcheck`);
      }
      if (condition === 'service_completed_successfully') {
        assert.equal(service(dependency).restart ?? 'no', 'no', `${name} waits for ${dependency} to exit, but it restarts`);
      }
    }
  }
});

test('every file mounted from the repository exists', () => {
  for (const [name, definition] of Object.entries(compose.services)) {
    for (const volume of definition.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
      if (!source.startsWith('./')) continue;
      assert.ok(existsSync(path.join(repositoryRoot, source)), `${name} mounts ${source}, which does not exist`);
    }
  }
});

test('prometheus scrapes the api, the worker and the paperwork service on the ports their configuration gives, and grafana provisions the dashboard', () => {
  const prometheus = parse(readFileSync(path.join(repositoryRoot, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
  };
  const targets = Object.fromEntries(prometheus.scrape_configs.map((job) => [job.job_name, { path: job.metrics_path ?? '/metrics', targets: job.static_configs.flatMap((config) => config.targets) }]));
  const environment = resolvedEnvironment('worker', sampleDotEnv);
  const config = loadConfig(environment);
  assert.deepEqual(targets['refill-api'], { path: '/metrics', targets: [`api:${config.api.port}`] });
  assert.deepEqual(targets['refill-worker'], { path: '/metrics', targets: [`worker:${config.workerMetrics.port}`] });
  // The worker leaves the paperwork to its own service, which serves its metrics on its own port.
  assert.equal(config.worker.paperwork, 'separate');
  assert.deepEqual(targets['refill-paperwork'], { path: '/metrics', targets: [`paperwork:${config.worker.paperworkMetricsPort}`] });
  const datasource = parse(readFileSync(path.join(repositoryRoot, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string; url: string }[] };
  assert.equal(datasource.datasources[0]?.url, 'http://prometheus:9090');
  const grafanaVolumes = (service('grafana').volumes ?? []).map((volume) => (typeof volume === 'string' ? volume : ''));
  assert.ok(grafanaVolumes.includes('./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro'), 'the dashboards are mounted where the provider reads them');
});

test('the dashboard charts every metric Refill defines, each from the provisioned Prometheus', async () => {
  const dashboard = JSON.parse(readFileSync(path.join(repositoryRoot, 'deploy/grafana/dashboards/refill.json'), 'utf8')) as {
    uid: string;
    panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
  };
  const { metricsRegistry } = await import('../observability/metrics.ts');
  const defined = metricsRegistry.getMetricsAsArray().map((metric) => metric.name).filter((name) => name.startsWith('refill_'));
  const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
  for (const name of defined) assert.ok(expressions.some((expression) => expression.includes(name)), `the dashboard has no panel of ${name}`);
  for (const expression of expressions) {
    for (const [name] of expression.matchAll(/refill_[a-z_]+/g)) {
      assert.ok(defined.some((metric) => name === metric || name.startsWith(`${metric}_`)), `${name} in the dashboard is no metric of observability/metrics.ts`);
    }
  }
  assert.ok(expressions.some((expression) => expression.includes('temporal_')), 'the Temporal SDK\'s worker metrics are charted');
  for (const panel of dashboard.panels) assert.equal(panel.datasource.uid, 'refill-prometheus', panel.title);
});
