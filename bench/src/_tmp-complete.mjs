import { createServer } from "node:http";
import autocannon from "autocannon";
const stats = { sync: 0, micro: 0, tick: 0, immediate: 0, n: 0 };
const server = createServer((req, res) => {
  stats.n++;
  if (req.complete) stats.sync++;
  Promise.resolve().then(() => { if (req.complete) stats.micro++; });
  process.nextTick(() => { if (req.complete) stats.tick++; });
  setImmediate(() => {
    if (req.complete) stats.immediate++;
    req.resume();
    res.writeHead(202, { "content-length": 2 }).end("{}");
  });
});
server.listen(0, "127.0.0.1", async () => {
  const body = "x".repeat(1024);
  await autocannon({ url: `http://127.0.0.1:${server.address().port}/`, method: "POST", body, connections: 10, duration: 1 });
  console.log(stats);
  server.close();
});
