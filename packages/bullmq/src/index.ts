export { bullmqRunner, deduplicationId } from "./bullmq-runner";
export type { BullmqRunner, BullmqRunnerOptions } from "./bullmq-runner";
export type { BackendState } from "./backend-health";
