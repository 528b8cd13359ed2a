import type { BuildOptions, Metafile, Plugin } from 'esbuild';

/** The esbuild options every bundle of the build shares. */
export const COMMON_OPTIONS: BuildOptions;
/** Stage 1 of the build: src/kube/credentials.ts and what it reaches of client-node, as CommonJS source. */
export function buildCredentials(entry: string, off?: Set<string>): Promise<{ code: string; metafile: Metafile }>;

/** The esbuild plugins of the lean start (see lean-start.mjs); `prebuilt`: stage 2's embedded credentials bundle. */
export function startupPlugin(
  prebuilt: { entry: string; code: string } | undefined,
  off?: Set<string>,
  clientNodeInline?: boolean,
): Plugin;
/** The source of a string-width wrapper around the module at `realPath`. */
export function asciiWidthShim(realPath: string, esm: boolean): string;
