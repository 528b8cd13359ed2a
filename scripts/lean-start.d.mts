import type { Plugin } from 'esbuild';

/** The esbuild plugins of the lean start (see lean-start.mjs); `prebuilt`: stage 2's embedded credentials bundle. */
export function startupPlugin(prebuilt: { entry: string; code: string } | undefined, off?: Set<string>, clientNodeInline?: boolean): Plugin;
/** The source of a string-width wrapper around the module at `realPath`. */
export function asciiWidthShim(realPath: string, esm: boolean): string;
