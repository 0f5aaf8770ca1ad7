export { bullmqRunner, deduplicationId } from "./bullmq-runner";
export type { BullmqRunnerOptions } from "./bullmq-runner";
