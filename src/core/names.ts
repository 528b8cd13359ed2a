/**
 * Validation of tag and revision names, before any API call. Both end up in label values, in
 * webhook and Service names (`istio-revision-tag-<tag>`, `istiod-<rev>`), so both must be DNS-1123
 * labels (§1.3: the Service name `istiod-revision-tag-<tag>` must itself stay within 63 characters).
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `value` is not a valid name, or undefined when it is. */
export function dns1123LabelError(value: string, maxLength = 63): string | undefined {
  if (value === '') return 'must not be empty';
  if (value.length > maxLength) return `must be at most ${maxLength} characters (is ${value.length})`;
  if (!DNS1123_LABEL.test(value)) {
    return (
      'must consist of lower-case letters, digits and "-", and start and end with a letter or digit (a ' +
      'DNS-1123 label, e.g. "prod" or "1-22-1")'
    );
  }
  return undefined;
}

/** A tag name must leave room for the `istiod-revision-tag-` prefix of its 1.28+ Service (63 - 20 = 43). */
export const TAG_MAX_LENGTH = 63 - 'istiod-revision-tag-'.length;

/** Why `tag` is not a valid tag name, or undefined. */
export function tagNameError(tag: string): string | undefined {
  return dns1123LabelError(tag, TAG_MAX_LENGTH);
}

/** A revision name must leave room for the `istiod-` prefix of its Service and Deployment (63 - 7 = 56). */
export function revisionNameError(revision: string): string | undefined {
  return dns1123LabelError(revision, 63 - 'istiod-'.length);
}

/** An Istio version typed where a revision name belongs: `1.28.10`, `v1.28.10`, `1.29.0-rc.1`. */
export function isVersionLike(word: string): boolean {
  return /^v?\d+\.\d+(\.\d+)?(-[0-9A-Za-z.-]+)?$/.test(word);
}

/**
 * The revision a version-like word most likely means (`1.28.10` -> `1-28-10`): the installed
 * revision that runs that version (the one named after it when several do), else the name
 * Istio's docs give a revision of that version (dots become dashes, as `1-22-1` in §1.3), or undefined when
 * `word` is not version-like.
 */
export function revisionForVersion(
  word: string,
  installed: Iterable<{ name: string; version?: string | undefined | null }>,
): { name: string; installed: boolean } | undefined {
  if (!isVersionLike(word)) return undefined;
  const version = word.replace(/^v/, '');
  const conventional = version.replace(/\./g, '-');
  const matching = [...installed].filter((r) => r.version === version).map((r) => r.name);
  if (matching.length > 0)
    return {
      name: matching.includes(conventional) ? conventional : (matching.sort()[0] ?? conventional),
      installed: true,
    };
  return { name: conventional, installed: false };
}
