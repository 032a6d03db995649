// Cron jobs (Convex's shapes): `const crons = cronJobs()`, then `crons.interval/hourly/daily/
// weekly/monthly/cron(name, schedule, ref, args?)` at the top level of `lunora/crons.ts`, and
// `export default crons`. The analyzer turns each schedule into a Cloudflare Cron Trigger
// expression (UTC, minute granularity); the Worker's `scheduled` handler runs the jobs
// (docs/ARCHITECTURE.md, "Cron jobs").

import type { FunctionReference } from "./functions.js";
import type { OptionalArgs } from "./functions.js";
import type { SchedulableFunctionReference } from "./scheduler.js";

/** Every `seconds` (whole minutes), `minutes` (dividing the hour) or `hours` (dividing the day), on the UTC clock. */
export type Interval = { seconds: number; minutes?: undefined; hours?: undefined } | { minutes: number; seconds?: undefined; hours?: undefined } | { hours: number; seconds?: undefined; minutes?: undefined };
export type Hourly = { minuteUTC: number };
export type Daily = { hourUTC: number; minuteUTC: number };
export type DayOfWeek = "sunday" | "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday";
export type Weekly = { dayOfWeek: DayOfWeek; hourUTC: number; minuteUTC: number };
/** `day` 1-31: a month without that day has no run. */
export type Monthly = { day: number; hourUTC: number; minuteUTC: number };

export type CronSchedule =
  | { type: "interval"; schedule: Interval }
  | { type: "hourly"; schedule: Hourly }
  | { type: "daily"; schedule: Daily }
  | { type: "weekly"; schedule: Weekly }
  | { type: "monthly"; schedule: Monthly }
  | { type: "cron"; schedule: string };

/** A registered job, in registration order. */
export interface CronJobSpec {
  readonly name: string;
  readonly schedule: CronSchedule;
  /** The function, `<module>:<export>`. */
  readonly path: string;
  readonly args: Record<string, unknown>;
}

/** `lunora/crons.ts`'s default export. */
export class Crons {
  readonly isCrons = true;
  /** Every job by name, in registration order. */
  readonly jobs: CronJobSpec[] = [];

  private add(name: string, schedule: CronSchedule, ref: FunctionReference<any, any, any, any>, args: unknown): void {
    if (typeof name !== "string" || name === "") throw new TypeError("a cron job needs a name");
    if (this.jobs.some((j) => j.name === name)) throw new Error(`two cron jobs named "${name}"`);
    const path = typeof ref === "object" && ref !== null ? (ref as { path?: unknown }).path : undefined;
    if (typeof path !== "string") throw new TypeError(`cron job "${name}": the function must be a reference like internal.jobs.cleanup`);
    this.jobs.push({ name, schedule, path, args: (args ?? {}) as Record<string, unknown> });
  }

  /** Runs `ref` every interval, aligned to the UTC clock (`{ minutes: 15 }`: at :00, :15, :30, :45). */
  interval<Ref extends SchedulableFunctionReference>(name: string, schedule: Interval, ref: Ref, ...args: OptionalArgs<Ref>): void {
    this.add(name, { type: "interval", schedule }, ref, args[0]);
  }
  /** Runs `ref` every hour at `minuteUTC`. */
  hourly<Ref extends SchedulableFunctionReference>(name: string, schedule: Hourly, ref: Ref, ...args: OptionalArgs<Ref>): void {
    this.add(name, { type: "hourly", schedule }, ref, args[0]);
  }
  /** Runs `ref` every day at `hourUTC:minuteUTC`. */
  daily<Ref extends SchedulableFunctionReference>(name: string, schedule: Daily, ref: Ref, ...args: OptionalArgs<Ref>): void {
    this.add(name, { type: "daily", schedule }, ref, args[0]);
  }
  /** Runs `ref` every `dayOfWeek` at `hourUTC:minuteUTC`. */
  weekly<Ref extends SchedulableFunctionReference>(name: string, schedule: Weekly, ref: Ref, ...args: OptionalArgs<Ref>): void {
    this.add(name, { type: "weekly", schedule }, ref, args[0]);
  }
  /** Runs `ref` on `day` of every month at `hourUTC:minuteUTC`. */
  monthly<Ref extends SchedulableFunctionReference>(name: string, schedule: Monthly, ref: Ref, ...args: OptionalArgs<Ref>): void {
    this.add(name, { type: "monthly", schedule }, ref, args[0]);
  }
  /** Runs `ref` on a 5-field cron expression (minute hour day-of-month month day-of-week, UTC). */
  cron<Ref extends SchedulableFunctionReference>(name: string, cron: string, ref: Ref, ...args: OptionalArgs<Ref>): void {
    this.add(name, { type: "cron", schedule: cron }, ref, args[0]);
  }
}

/** The cron jobs of `lunora/crons.ts`: `const crons = cronJobs(); ...; export default crons;`. */
export function cronJobs(): Crons {
  return new Crons();
}

/** A job as the analyzer read it: the Cron Trigger expression that fires it. */
export interface WiringCronJob {
  readonly name: string;
  readonly cron: string;
  /** The function id, `<module>:<export>`. */
  readonly function: string;
}

/** `wiring.crons`: `lunora/crons.ts`'s default export and the job table the analyzer read. */
export interface WiringCrons {
  readonly jobs: Crons;
  readonly schedule: readonly WiringCronJob[];
}
