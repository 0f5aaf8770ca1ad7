import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { toInboundRequest } from "@hookrun/core/node";
import { describeAdapterContract } from "../../../../test/adapter-contract";
import { nodeHooksServer } from "../../../../test/support/hooks-server";
import { contractHooks, inProcessContractServer } from "../../../../test/support/in-process";

describeAdapterContract("node:http + @hookrun/core/node", async () => {
  const { hooks, runs } = contractHooks();
  return inProcessContractServer(nodeHooksServer(hooks), hooks, runs);
});

describe("toInboundRequest (node)", () => {
  it("passes Node's headers object and the request stream through as they are", () => {
    const req = { method: "POST", headers: { authorization: "Bearer t" } } as unknown as IncomingMessage;
    const inbound = toInboundRequest(req, "id");
    expect(inbound.headers).toBe(req.headers);
    expect(inbound.body).toBe(req);
    expect(toInboundRequest(req, "id", "{}").body).toBe("{}");
  });
});
