#!/usr/bin/env node
// Container healthcheck without curl or wget (the slim Node image has neither).
// Usage: node deploy/healthcheck.js [PATH]   (default /readyz) — exit 0 on HTTP 2xx, 1 otherwise.
// Asks the server on 127.0.0.1 at NIGHTSHIFT_HTTP_PORT (default 8080) inside the container.
'use strict';
const port = process.env.NIGHTSHIFT_HTTP_PORT || '8080';
const urlPath = process.argv[2] || '/readyz';

fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(4000) })
  .then(async (res) => {
    if (!res.ok) console.error(`${urlPath}: HTTP ${res.status} ${await res.text()}`);
    process.exit(res.ok ? 0 : 1);
  })
  .catch((err) => {
    console.error(`${urlPath}: ${err && err.message ? err.message : err}`);
    process.exit(1);
  });
