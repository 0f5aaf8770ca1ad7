import type { HookrunEvent } from "../types";

/**
 * The `emit` hookrun hands to the pipeline and runners when no `onEvent` is set. Hot paths compare
 * against it and skip building event objects nobody would receive.
 */
export const noEvents = (_event: HookrunEvent): void => {};
