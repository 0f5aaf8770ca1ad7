import { closeOnSignals, createDemoDashboard, createDemoHooks, demoConfig, printStartup } from "@hookrun-examples/demo";
import { createNestApp } from "./app.js";

const config = demoConfig();
const hooks = createDemoHooks(config);

const app = await createNestApp(hooks, { "/hookrun": createDemoDashboard(hooks, config).express });
await app.listen(config.port, "0.0.0.0");
printStartup("nestjs", config);
closeOnSignals(app.getHttpServer(), hooks);
