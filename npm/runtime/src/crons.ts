// The Worker's `scheduled` handler: runs the cron jobs of `lunora/crons.ts` whose Cron Trigger
// expression is the one that fired (docs/ARCHITECTURE.md, "Cron jobs").

/** `wiring.crons`, as the runtime reads it. */
export interface WiringCrons {
  /** `lunora/crons.ts`'s default export (`cronJobs()`): each job's args. */
  readonly jobs: { readonly jobs: readonly { readonly name: string; readonly path: string; readonly args: unknown }[] };
  /** The jobs as the analyzer read them, each with the expression that fires it. */
  readonly schedule: readonly { readonly name: string; readonly cron: string; readonly function: string }[];
}

/** Runs one job's function as an internal call (a mutation with `mutationId`). */
export type RunJob = (path: string, args: unknown, mutationId: string) => Promise<unknown>;

/** FNV-1a (64 bits) of a job name, in hex: the job's client id holds only `[A-Za-z0-9_-]`. */
function nameHash(name: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(name)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * A job's mutation id for one trigger: the job is the client, the trigger's scheduled time the
 * sequence number (it increases from one trigger to the next), so a trigger delivered again
 * applies the mutation once.
 */
export function cronMutationId(name: string, scheduledTime: number): string {
  return `cron_${nameHash(name)}:${Math.max(0, Math.floor(scheduledTime))}`;
}

/**
 * Runs every job whose expression is `cron`, all at once. A job that fails is logged with its name
 * and does not stop the others; this never throws.
 */
export async function runCrons(crons: WiringCrons | undefined, cron: string, scheduledTime: number, run: RunJob): Promise<void> {
  if (!crons) return;
  const due = crons.schedule.filter((j) => j.cron === cron);
  await Promise.all(
    due.map(async (job) => {
      try {
        const spec = crons.jobs.jobs.find((j) => j.name === job.name);
        if (!spec || spec.path !== job.function) {
          throw new Error(
            `lunora/crons.ts registered ${spec ? `it for ${spec.path}` : "no such job"}, not what the generated wiring says (${job.function}): run \`lunora codegen\``,
          );
        }
        await run(job.function, spec.args ?? {}, cronMutationId(job.name, scheduledTime));
      } catch (error) {
        console.error(`lunora: cron job "${job.name}" (${job.function}) failed: ${String((error as Error)?.message ?? error)}`);
      }
    }),
  );
}
