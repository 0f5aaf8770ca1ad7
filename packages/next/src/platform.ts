/** Environment variables each serverless platform sets in its functions, in the order checked. */
const PLATFORMS: ReadonlyArray<[name: string, variables: readonly string[]]> = [
  ["Vercel", ["VERCEL"]],
  ["Netlify", ["NETLIFY"]],
  ["AWS Lambda", ["AWS_LAMBDA_FUNCTION_NAME"]],
  ["Google Cloud Run functions", ["FUNCTION_TARGET"]],
  ["Google Cloud Run", ["K_SERVICE"]],
  ["Azure Functions", ["FUNCTIONS_WORKER_RUNTIME"]],
];

/**
 * The serverless platform this process runs on, recognised from its environment (`VERCEL`,
 * `NETLIFY`, `AWS_LAMBDA_FUNCTION_NAME`, `FUNCTION_TARGET`, `K_SERVICE`,
 * `FUNCTIONS_WORKER_RUNTIME`), or `undefined` for a long-lived server.
 *
 * @example
 * ```ts
 * serverlessPlatform({ VERCEL: "1" }); // "Vercel"
 * serverlessPlatform(process.env);     // undefined under `next start` on your own machine
 * ```
 */
export function serverlessPlatform(env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const [name, variables] of PLATFORMS) if (variables.some((variable) => env[variable])) return name;
  return undefined;
}
