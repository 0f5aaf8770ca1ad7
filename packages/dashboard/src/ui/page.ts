import { createHash } from "node:crypto";
import { dashboardClient } from "./client";
import { DASHBOARD_CSS } from "./styles";

/** `assets/app.js`: the browser script, self-contained (see `client.ts`). */
export const DASHBOARD_JS = `"use strict";(${dashboardClient.toString()})();\n`;
export { DASHBOARD_CSS };

// Content hashes in the asset URLs: a new release is never served an old cached asset.
const version = createHash("sha256").update(DASHBOARD_JS).update(DASHBOARD_CSS).digest("hex").slice(0, 12);

const escapeAttribute = (value: string) => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/**
 * The one HTML page. Asset URLs are relative to the URL the browser used, so the page works under
 * any base path and behind a proxy that adds a prefix: `prefix` is `""` when that URL ends in `/`,
 * else the last segment of the base path plus `/` (`/hookrun` → `hookrun/assets/...`).
 */
export function dashboardPage(prefix: string, pollMs: number): string {
  const at = escapeAttribute(prefix);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>hookrun runs</title>
<link rel="stylesheet" href="${at}assets/app.css?v=${version}">
<script src="${at}assets/app.js?v=${version}" data-poll-ms="${pollMs}" defer></script>
</head>
<body>
<noscript>The hookrun dashboard needs JavaScript.</noscript>
<main id="app"><p>Loading…</p></main>
</body>
</html>
`;
}

/** Shown (with `401`) when the browser is not signed in, e.g. after cancelling the login prompt. */
export function signInPage(prefix: string, basic: boolean): string {
  const at = escapeAttribute(prefix);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hookrun: sign in</title>
<link rel="stylesheet" href="${at}assets/app.css?v=${version}">
</head>
<body>
<main id="app"><h1>Sign in required</h1><p>${
    basic ? "Reload the page and sign in with the dashboard token as the password (any user name)." : "You are not signed in to the hookrun dashboard."
  }</p></main>
</body>
</html>
`;
}
