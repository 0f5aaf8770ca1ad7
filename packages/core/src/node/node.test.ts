import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { toInboundRequest, writeInboundResponse } from "@hookrun/core/node";
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

describe("writeInboundResponse", () => {
  /** The head and body a raw client reads for one GET answered by `answer`. */
  async function exchange(answer: (res: ServerResponse) => void): Promise<string[]> {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const socket = connect(port, "127.0.0.1");
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8").split("\r\n").filter((line) => !line.startsWith("Date: "));
    } finally {
      server.close();
    }
  }

  it("writes the answer's headers once each and a Content-Length of the body's bytes, whatever the answer said", async () => {
    const lines = await exchange((res) =>
      writeInboundResponse(res, { status: 202, headers: { "content-type": "text/plain; charset=utf-8", "content-length": "999", "x-a": "1" }, body: "h\u00e9llo" }),
    );
    expect(lines).toEqual(["HTTP/1.1 202 Accepted", "content-type: text/plain; charset=utf-8", "x-a: 1", "content-length: 6", "Connection: close", "", "h\u00e9llo"]);
  });

  it("keeps a header the framework set before it", async () => {
    const lines = await exchange((res) => {
      res.setHeader("x-powered-by", "test");
      writeInboundResponse(res, { status: 401, headers: { "content-type": "application/problem+json" }, body: "{}" });
    });
    expect(lines).toEqual(["HTTP/1.1 401 Unauthorized", "x-powered-by: test", "content-type: application/problem+json", "content-length: 2", "Connection: close", "", "{}"]);
  });
});
