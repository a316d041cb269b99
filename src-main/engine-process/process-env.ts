/**
 * The environment the engine process starts with, under `utilityProcess.fork` and Node's `fork` alike.
 *
 * One addition to the parent's: glibc's malloc trim threshold, raised to 128 MiB. Node's HTTP layer
 * allocates a fresh 64 KiB buffer for every socket read and its parser copies every body chunk into
 * another one (got sits on top of it; nothing it offers changes that). When the collector frees them,
 * glibc's default (trim the heap's top once 128 KiB of it is free) hands the pages back to the kernel,
 * and the next reads fault them in again: 93,000–365,000 page faults per GiB downloaded, the largest
 * single cost of a fast download (docs/performance.md, case 1). With the threshold raised the pages
 * stay mapped and are reused: ~25,000 faults per GiB and about 1.7× the speed on this machine, for the
 * same peak RSS (what is kept is what the collector let accumulate anyway). It must be in the
 * environment when the process starts (glibc reads it once), which is why it is set here and not in core.
 * glibc only: musl, macOS and Windows ignore the variable. A value the user set is kept.
 */
export const MALLOC_TRIM_THRESHOLD = String(128 * 1024 * 1024);

export function engineProcessEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  env.MALLOC_TRIM_THRESHOLD_ ??= MALLOC_TRIM_THRESHOLD;
  return env;
}
