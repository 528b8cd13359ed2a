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

/** `1.30.3` → `1.30`. */
export function minorLine(version: string): string {
  return `${semver.major(version)}.${semver.minor(version)}`;
}

/**
 * An Istio version as typed by a user or read from a label: `1.29.6`, `v1.29.6`, `1.31.0-rc.0`.
 * Returns it normalised (no `v`), or undefined for anything else (`1.29`, `banana`, `1.29.6.1`).
 */
export function parseVersion(text: string): string | undefined {
  const m = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(text.trim());
  return m?.[1] !== undefined ? (semver.valid(m[1]) ?? undefined) : undefined;
}

/** `1.29` or `v1.29` → `1.29`; undefined for anything else. */
export function parseMinorLine(text: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)$/.exec(text.trim());
  return m === null ? undefined : `${Number(m[1])}.${Number(m[2])}`;
}

/** Minors from `a` to `b` (b - a), or undefined across majors (the skew rules are written for one major, §5.1). */
export function minorDistance(a: string, b: string): number | undefined {
  const av = semver.coerce(a);
  const bv = semver.coerce(b);
  if (av === null || bv === null || av.major !== bv.major) return undefined;
  return bv.minor - av.minor;
}

/** True for a pre-release (`1.31.0-rc.0`, `1.31.0-alpha.0`). */
export function isPrerelease(version: string): boolean {
  return (semver.prerelease(version) ?? []).length > 0;
}

/** Newest first, by semver (unparsable versions last). */
export function compareVersionsDesc(a: string | undefined, b: string | undefined): number {
  if (a === undefined || semver.valid(a) === null) return b === undefined || semver.valid(b) === null ? 0 : 1;
  if (b === undefined || semver.valid(b) === null) return -1;
  return semver.rcompare(a, b);
}
