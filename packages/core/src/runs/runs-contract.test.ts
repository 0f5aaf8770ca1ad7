import { memoryRunner, memoryRunStore } from "@hookrun/core";
import { runsContract } from "../../../../test/support/runs-contract";

runsContract("memoryRunner", { makeRunner: (options) => memoryRunner(options), makeStore: () => memoryRunStore(), boundsBytes: true, holdsFinishedJobs: false });
