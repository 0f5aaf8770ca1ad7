// Constants shared by the bench runner and every server, so all of them do the same work.
export const WEBHOOK_ID = "bench";
export const GITHUB_WEBHOOK_ID = "github";
export const PATH_PREFIX = "/inbound-webhooks/";
export const TOKEN = "bench-token-4f0c1d7e9b2a4c6e8f1a3b5d7c9e0f21";
export const GITHUB_SECRET = "bench-github-secret";
export const LIMIT = 1_048_576;
