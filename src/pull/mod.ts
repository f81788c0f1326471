/**
 * The pull pipeline: `pull` itself (reuse, resolve and pin, download and
 * build, record, over one frozen `PullPlan`), the downloads, and unpacking an
 * image into a rootfs.
 * @module
 */
export { pull, type PullContext, type PullRequest, type PullResult } from "./pull.ts";
export type { PullPlan } from "./plan.ts";
export type { LayerState, PullEvent, PullListener } from "./events.ts";
export { unpackImage, type UnpackOptions } from "./download.ts";
