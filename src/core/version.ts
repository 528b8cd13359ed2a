import semver from 'semver';
import { APP_VERSION, OPERATOR_VERSION } from './labels.ts';
import type { Labels } from './model.ts';

/**
 * Istio release versions: `1.30.3`, `1.31.0-rc.0`, `1.31.0-alpha.0`, optionally prefixed by `v`.
 * An image tag may carry a variant after the version (`-distroless`, `-debug`, a custom build suffix).
 */
const ISTIO_TAG = /^v?(\d+\.\d+\.\d+(?:-(?:alpha|beta|rc)(?:\.\d+)?)?)(?:[-_+].*)?$/;

/** Where a component's version was read from. */
export type VersionSource = 'image' | 'label' | 'unknown';

/** A component version, or `undefined` when it cannot be told (the UI then says "unknown", never guesses). */
export interface ResolvedVersion {
  version: string | undefined;
  source: VersionSource;
}

/**
 * The tag part of an image reference: `docker.io/istio/pilot:1.30.3-distroless` → `1.30.3-distroless`.
 * Registry ports (`reg:5000/istio/pilot:1.2.3`) and digests (`...@sha256:…`) are handled; no tag → undefined.
 */
export function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0] ?? '';
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? undefined : noDigest.slice(colon + 1);
}

/** The Istio version in an image tag (`1.30.3-distroless` → `1.30.3`), or undefined (`latest`, digests only). */
export function versionFromImage(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const tag = imageTag(image);
  if (tag === undefined) return undefined;
  const m = ISTIO_TAG.exec(tag);
  return m?.[1] !== undefined ? (semver.valid(m[1]) ?? undefined) : undefined;
}

/**
 * A component's version, most reliable source first (§4.2 "Sources a tool can use"):
 * the image tag, then `app.kubernetes.io/version` (Helm, 1.24+), then `operator.istio.io/version`.
 */
export function resolveVersion(image: string | undefined, labels: Labels | undefined): ResolvedVersion {
  const fromImage = versionFromImage(image);
  if (fromImage !== undefined) return { version: fromImage, source: 'image' };
  for (const key of [APP_VERSION, OPERATOR_VERSION]) {
    const v = labels?.[key];
    const parsed = v === undefined ? undefined : ISTIO_TAG.exec(v)?.[1];
    if (parsed !== undefined && semver.valid(parsed) !== null) return { version: parsed, source: 'label' };
  }
  return { version: undefined, source: 'unknown' };
}

/** `1.30.3` → 30 (all Istio releases are 1.x). */
export function minorOf(version: string): number {
  return semver.minor(version);
}

/** `1.30.3` → `1.30`. */
export function minorLine(version: string): string {
  return `${semver.major(version)}.${semver.minor(version)}`;
}

/** True when `version` is in the half-open range [from, to) (prereleases of `to` count as below it). */
export function inRange(version: string, from: string, to?: string): boolean {
  const v = semver.coerce(version, { includePrerelease: false })?.version ?? version;
  return semver.gte(v, from) && (to === undefined || semver.lt(v, to));
}
