// Every test process: UTC, quiet logs, and no proxy (jsforce reads proxy variables at load time).
process.env.TZ = 'UTC';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
for (const v of [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'http_proxy',
  'https_proxy',
  'ALL_PROXY',
  'all_proxy',
]) {
  delete process.env[v];
}
