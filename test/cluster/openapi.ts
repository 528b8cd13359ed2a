/**
 * A minimal OpenAPI v3 surface (`/openapi/v3` and one document per group/version), enough for
 * kubectl's field-validation probe (QueryParamVerifierV3: a PATCH operation tagged with the GVK
 * that accepts `fieldValidation`), so `kubectl apply/create` work without `--validate=false`.
 * Schemas are not published (kubectl then computes strategic patches from its compiled-in types).
 */
import { apiVersionOf, type ResourceDef, type ResourceTable } from './resources.ts';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** `GET /openapi/v3`: the per-group/version document index. */
export function openApiV3Root(table: ResourceTable): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const d of table.all()) {
    for (const v of d.versions) {
      const p = gvPath(d.group, v);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${encodeURIComponent(apiVersionOf(d.group, v))}` };
    }
  }
  return { paths };
}

function operation(d: ResourceDef, version: string, action: string): Record<string, unknown> {
  return {
    operationId: `${action}${d.kind}`,
    parameters: [
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
    ],
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: d.group, kind: d.kind, version },
  };
}

/** `GET /openapi/v3/<api/v1 | apis/g/v>`, or undefined when that group/version is not served. */
export function openApiV3GroupVersion(table: ResourceTable, path: string): Record<string, unknown> | undefined {
  const defs = table.all().filter((d) => d.versions.some((v) => gvPath(d.group, v) === path));
  if (defs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const d of defs) {
    const version = d.versions.find((v) => gvPath(d.group, v) === path) ?? 'v1';
    const base = `/${path}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.resource}`;
    paths[base] = { post: operation(d, version, 'post') };
    paths[`${base}/{name}`] = {
      get: operation(d, version, 'get'),
      put: operation(d, version, 'put'),
      patch: operation(d, version, 'patch'),
      delete: operation(d, version, 'delete'),
    };
    schemas[`${d.group === '' ? 'io.k8s.api.core' : d.group}.${version}.${d.kind}`] = {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: d.group, kind: d.kind, version }],
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'unversioned' }, paths, components: { schemas } };
}
