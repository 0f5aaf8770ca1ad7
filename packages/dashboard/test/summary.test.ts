import { memoryRunner, memoryRunStore } from "@hookrun/core";
import { summaryContract } from "../../../test/support/summary-contract";

summaryContract("memoryRunStore", { makeStore: (maxRuns) => memoryRunStore({ maxRuns }), makeRunner: () => memoryRunner() });
