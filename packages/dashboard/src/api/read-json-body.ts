import { problem } from "../http/responses";

/** The API's request bodies are a few fields; anything bigger is refused unread. */
export const MAX_API_BODY_BYTES = 16 * 1024;

/** The request's JSON body (`undefined` when empty), or the `4xx` to answer. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_API_BODY_BYTES) return tooLarge();
  if (!request.body) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_API_BODY_BYTES) {
      await reader.cancel();
      return tooLarge();
    }
    chunks.push(value);
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks));
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return problem("invalid_request", "The request body must be valid JSON.");
  }
}

function tooLarge(): Response {
  return problem("invalid_request", `The request body must be at most ${MAX_API_BODY_BYTES} bytes.`, { status: 413 });
}
