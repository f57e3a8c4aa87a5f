// Every environment variable Nightshift reads, written once: its name, default and meaning. Code reads
// a variable only through readVar(env, NAME), whose NAME must be one of these (a typo or an undeclared
// variable does not compile); the process environment itself is read in one place, the CLI's
// composition root, and passed down. The README's configuration table documents exactly these
// (test/unit/platform/config.test.ts). Organisation settings live in nightshift.yaml instead; Teams
// webhook variables are named there, per channel, and so are not listed here.

export interface Variable {
  name: string;
  /** The default as people read it; empty when unset means "off" or "not configured". */
  default: string;
  doc: string;
}

export const VARIABLES = [
  // Temporal
  {
    name: 'TEMPORAL_ADDRESS',
    default: '(unset: embedded dev server)',
    doc: '`host:port` of an existing Temporal server or Temporal Cloud; then nothing is built or started',
  },
  { name: 'TEMPORAL_NAMESPACE', default: '`default`', doc: 'Temporal namespace' },
  { name: 'TEMPORAL_TLS', default: '', doc: '`true` for server-only TLS' },
  { name: 'TEMPORAL_TLS_CERT', default: '', doc: 'mTLS client certificate (with `TEMPORAL_TLS_KEY`)' },
  { name: 'TEMPORAL_TLS_KEY', default: '', doc: 'mTLS client key' },
  { name: 'TEMPORAL_TLS_CA', default: '', doc: 'CA certificate of the Temporal frontend' },
  { name: 'TEMPORAL_TLS_SERVER_NAME', default: '', doc: 'TLS server name override' },
  { name: 'TEMPORAL_API_KEY', default: '', doc: 'API key (Temporal Cloud); implies TLS' },
  // The embedded dev server
  { name: 'NIGHTSHIFT_TEMPORAL_PORT', default: '`7233`', doc: 'port of the embedded dev server' },
  { name: 'NIGHTSHIFT_TEMPORAL_UI_PORT', default: '`8233`', doc: 'port of its Web UI' },
  {
    name: 'NIGHTSHIFT_DATA_DIR',
    default: '`.nightshift/data`',
    doc: 'where the embedded server keeps its SQLite file',
  },
  {
    name: 'NIGHTSHIFT_TEMPORAL_BIN',
    default: '`.nightshift/bin/temporal`',
    doc: 'the Temporal CLI to run (built there by `scripts/setup.sh`)',
  },
  // HTTP
  { name: 'NIGHTSHIFT_HTTP_HOST', default: '`127.0.0.1`', doc: 'address of the HTTP API' },
  { name: 'NIGHTSHIFT_HTTP_PORT', default: '`8080`', doc: 'port of the HTTP API' },
  {
    name: 'NIGHTSHIFT_API_TOKENS',
    default: '(generated into `.nightshift/api-token`)',
    doc: 'comma-separated bearer tokens of the API',
  },
  {
    name: 'NIGHTSHIFT_WEBHOOK_SECRETS',
    default: '(unset: signed webhooks refused)',
    doc: 'comma-separated secrets (≥ 32 characters each) of signed detection webhooks (`X-Nightshift-Signature`)',
  },
  {
    name: 'NIGHTSHIFT_METRICS_PORT',
    default: '(unset: none)',
    doc: '`nightshift worker` only: port of its own `/metrics` and `/healthz`',
  },
  {
    name: 'NIGHTSHIFT_WORKER_CACHE_MIB',
    default: '`512`',
    doc: 'memory (MiB) a worker gives to its cached runs ([sizing](docs/deployment.md#sizing-workers))',
  },
  // Files and logs
  { name: 'NIGHTSHIFT_CONFIG', default: '`nightshift.yaml`', doc: 'organisation file' },
  { name: 'NIGHTSHIFT_PLAYBOOKS', default: '`playbooks/`', doc: 'playbook folder' },
  {
    name: 'NIGHTSHIFT_WATCH',
    default: '`true`',
    doc: 'reload playbooks when their files change (a bad file is refused; the previous version keeps serving)',
  },
  {
    name: 'NIGHTSHIFT_LOG_LEVEL',
    default: '`info`',
    doc: 'pino level; logs are JSON lines on stdout, secrets redacted ([Logs](docs/deployment.md#5-logs))',
  },
  // Signed links
  {
    name: 'NIGHTSHIFT_PUBLIC_URL',
    default: 'embedded: `http://<HTTP host>:<port>`; with `TEMPORAL_ADDRESS`: **required**',
    doc: 'base URL of signed approval links and voice callbacks',
  },
  {
    name: 'NIGHTSHIFT_LINK_SECRET',
    default: 'embedded: generated into `.nightshift/link-secret`; with `TEMPORAL_ADDRESS`: **required**',
    doc: 'key (≥ 32 bytes) of signed links and voice tokens',
  },
  {
    name: 'NIGHTSHIFT_LINK_TTL',
    default: '`3600`',
    doc: 'seconds a page acknowledgement link or voice token lives (60 to 604800)',
  },
  // Defender for Endpoint (docs/defender.md)
  {
    name: 'DEFENDER_TENANT_ID',
    default: '(unset: dry run)',
    doc: 'Entra tenant id (GUID or domain) of the Defender tenant',
  },
  { name: 'DEFENDER_CLIENT_ID', default: '', doc: 'application (client) id of the Entra app' },
  { name: 'DEFENDER_CLIENT_SECRET', default: '', doc: "the app's client secret (or a certificate:)" },
  { name: 'DEFENDER_CERT_PATH', default: '', doc: "PEM with the app's certificate and key" },
  { name: 'DEFENDER_CERT_KEY_PATH', default: '', doc: 'the key, when not in `DEFENDER_CERT_PATH`' },
  { name: 'DEFENDER_CERT_PASSPHRASE', default: '', doc: 'passphrase of an encrypted key' },
  {
    name: 'DEFENDER_CERT_THUMBPRINT',
    default: '(from the certificate)',
    doc: 'SHA-256 thumbprint, when the PEM holds no certificate',
  },
  { name: 'DEFENDER_CLOUD', default: '`commercial`', doc: '`commercial`, `gcc`, `gcc-high` or `dod`' },
  {
    name: 'DEFENDER_GEO',
    default: '',
    doc: 'commercial API geography: `us`, `eu`, `uk`, `au`, `swa`, `ina`',
  },
  { name: 'DEFENDER_API_URL', default: '(from the cloud)', doc: 'MDE API base URL override' },
  { name: 'DEFENDER_XDR_API_URL', default: '(from the cloud)', doc: 'Defender XDR API base URL override' },
  { name: 'DEFENDER_AUTHORITY_URL', default: '(from the cloud)', doc: 'login host override' },
  { name: 'DEFENDER_SCOPE', default: '(from the cloud)', doc: 'token scope of MDE calls' },
  { name: 'DEFENDER_XDR_SCOPE', default: '(from the cloud)', doc: 'token scope of XDR calls' },
  {
    name: 'DEFENDER_GRAPH_URL',
    default: '(from the cloud)',
    doc: 'Microsoft Graph base URL override (advanced hunting)',
  },
  { name: 'DEFENDER_GRAPH_SCOPE', default: '(from the cloud)', doc: 'token scope of Graph calls' },
  { name: 'DEFENDER_CA_CERT_PATH', default: '', doc: 'extra trusted CA (PEM): TLS-inspecting proxies' },
  {
    name: 'DEFENDER_CALLS_PER_MINUTE',
    default: '`100`',
    doc: 'the API quota per minute, shared by the worker processes',
  },
  { name: 'DEFENDER_CALLS_PER_HOUR', default: '`1500`', doc: 'the API quota per hour' },
  {
    name: 'DEFENDER_POLL_INTERVAL_MS',
    default: '`10000`',
    doc: 'delay between status polls of a machine action',
  },
  { name: 'DEFENDER_CONNECT_TIMEOUT_MS', default: '`10000`', doc: 'HTTP connect timeout' },
  { name: 'DEFENDER_HEADERS_TIMEOUT_MS', default: '`30000`', doc: 'HTTP headers timeout' },
  { name: 'DEFENDER_BODY_TIMEOUT_MS', default: '`60000`', doc: 'HTTP body timeout' },
  {
    name: 'DEFENDER_INTAKE',
    default: '`true` (with credentials)',
    doc: '`false` turns the Defender alert poller off',
  },
  { name: 'DEFENDER_INTAKE_INTERVAL', default: '`1m`', doc: 'pause between alert polls (at least `10s`)' },
  {
    name: 'DEFENDER_INTAKE_RULE',
    default: "`detection.status == 'confirmed'`",
    doc: 'CEL over `alert` and `detection`: which alerts start runs',
  },
  // Channels (docs/channels.md); a channel set only in part is refused at start
  { name: 'SLACK_BOT_TOKEN', default: '(unset: dry run)', doc: 'Slack bot token' },
  { name: 'SLACK_SIGNING_SECRET', default: '', doc: 'Slack signing secret (button clicks)' },
  { name: 'SLACK_API_URL', default: '`https://slack.com/api/`', doc: 'Slack Web API base (tests)' },
  { name: 'TWILIO_ACCOUNT_SID', default: '(unset: dry run)', doc: 'Twilio account SID (SMS and voice)' },
  { name: 'TWILIO_AUTH_TOKEN', default: '', doc: 'auth token (or an API key pair:)' },
  { name: 'TWILIO_API_KEY', default: '', doc: 'API key SID' },
  { name: 'TWILIO_API_SECRET', default: '', doc: 'API key secret' },
  { name: 'TWILIO_FROM', default: '', doc: 'sending number (E.164)' },
  { name: 'TWILIO_WEBHOOK_KEY', default: '(the auth token)', doc: 'key Twilio signs webhooks with' },
  { name: 'TWILIO_API_BASE', default: "(Twilio's)", doc: 'Twilio API base (tests)' },
  { name: 'SMTP_URL', default: '(unset: dry run)', doc: 'SMTP server, `smtps://user:pass@host:465`' },
  { name: 'EMAIL_FROM', default: '', doc: 'sender address' },
  // The web console (docs/console.md)
  {
    name: 'NIGHTSHIFT_OIDC_ISSUER',
    default: '(unset: one-time sign-in links)',
    doc: 'OIDC issuer of console sign-in; Entra ID: `https://login.microsoftonline.com/<tenant-id>/v2.0`',
  },
  { name: 'NIGHTSHIFT_OIDC_CLIENT_ID', default: '', doc: "the console app's client id" },
  { name: 'NIGHTSHIFT_OIDC_CLIENT_SECRET', default: '', doc: 'its client secret (or a certificate:)' },
  { name: 'NIGHTSHIFT_OIDC_CLIENT_CERT', default: '', doc: 'PEM certificate of the app (`private_key_jwt`)' },
  { name: 'NIGHTSHIFT_OIDC_CLIENT_KEY', default: '', doc: 'PEM private key of that certificate' },
  {
    name: 'NIGHTSHIFT_OIDC_CLAIMS',
    default: '`email,preferred_username`',
    doc: "ID-token claims matched, in order, to a person's `login` or `email`",
  },
  { name: 'NIGHTSHIFT_OIDC_SCOPES', default: '`openid profile email`', doc: 'scopes asked at sign-in' },
  { name: 'NIGHTSHIFT_CONSOLE_SESSION_TTL', default: '`12h`', doc: 'how long a console session lasts' },
] as const satisfies readonly Variable[];

export type VariableName = (typeof VARIABLES)[number]['name'];

/** An environment: the process's (passed down from the CLI) or a test's. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The raw value of a declared variable, or undefined. */
export function readVar(env: Env, name: VariableName): string | undefined {
  return env[name];
}
