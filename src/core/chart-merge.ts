/**
 * The object a move writes: the live object with exactly the fields Istio's chart owns replaced by
 * the render (tag-render.ts CHART_OWNED), everything else kept. This is what `helm template |
 * kubectl apply` and server-side apply keep too (§3.5): labels and annotations of other tools,
 * webhooks the chart does not render, `timeoutSeconds`/`matchPolicy` edits, istiod's `caBundle`.
 * Pure: the planner calls it, the diff compares its result with the live object.
 */
import { MANAGED_BY, REV, istiodName } from './labels.ts';
import type { KubeObject, Labels, Service, Webhook, WebhookConfiguration } from './model.ts';
import { CHART_OWNED } from './tag-render.ts';

/** Labels: chart keys follow the render (removed when it has none), other keys stay, in their order. */
export function mergeLabels(
  live: Labels | undefined,
  rendered: Labels | undefined,
  owned: readonly string[],
  helmOwned: boolean,
): Labels {
  const want = rendered ?? {};
  const ours = new Set<string>(owned);
  // Helm itself sets managed-by on what it installs (§1.6): a Helm-owned object keeps it whatever the chart version.
  if (helmOwned) ours.delete(MANAGED_BY);
  const out: Labels = {};
  for (const [k, v] of Object.entries(live ?? {})) {
    if (!ours.has(k)) out[k] = v;
    else if (k in want) out[k] = want[k] ?? '';
  }
  for (const [k, v] of Object.entries(want)) if (!(k in out)) out[k] = v;
  return out;
}

/** A rendered webhook over the live one of the same name: chart fields from the render, the rest kept. */
function mergeWebhook(live: Webhook, rendered: Webhook): Webhook {
  const out: Record<string, unknown> = { ...live, name: rendered.name };
  for (const f of CHART_OWNED.webhookFields) {
    const v: unknown = rendered[f];
    if (v === undefined) delete out[f];
    else out[f] = v;
  }
  // caBundle belongs to istiod (§3.5): the render carries one only when the target's injector has it.
  const ca = rendered.clientConfig.caBundle ?? live.clientConfig.caBundle;
  out['clientConfig'] = { ...rendered.clientConfig, ...(ca !== undefined ? { caBundle: ca } : {}) };
  // Fields of a rule the chart does not render (`scope`, defaulted by the API server) stay.
  const liveRules = Array.isArray(live['rules']) ? (live['rules'] as Record<string, unknown>[]) : [];
  const rules = Array.isArray(rendered['rules']) ? (rendered['rules'] as Record<string, unknown>[]) : [];
  out['rules'] = rules.map((r, i) => ({ ...(liveRules[i] ?? {}), ...r }));
  return out as Webhook;
}

/** What `webhookConfigOver` did to webhooks the chart does not render. */
export interface ForeignWebhook {
  name: string;
  /** It called the old revision's istiod and now calls the target's (kept as is otherwise). */
  repointed: boolean;
}

/**
 * The tag webhook configuration to write: the live one (its name, other labels, annotations,
 * webhooks of other names) with the rendered webhooks merged in by name. A webhook the chart does
 * not render that still calls the old revision's istiod (`fromRevision`) is pointed at the target's
 * service like the rendered ones: left alone it would keep the old istiod injecting (and in use).
 */
export function webhookConfigOver(
  live: WebhookConfiguration,
  rendered: WebhookConfiguration,
  o: { istioNamespace: string; fromRevision: string | undefined; helmOwned: boolean },
): { object: WebhookConfiguration; foreign: ForeignWebhook[] } {
  const renderedHooks = rendered.webhooks ?? [];
  const byName = new Map(renderedHooks.map((w) => [w.name, w]));
  const target = renderedHooks[0]?.clientConfig.service;
  const foreign: ForeignWebhook[] = [];
  const hooks: Webhook[] = [];
  for (const w of live.webhooks ?? []) {
    const r = byName.get(w.name);
    if (r !== undefined) {
      hooks.push(mergeWebhook(w, r));
      byName.delete(w.name);
      continue;
    }
    const svc = w.clientConfig.service;
    const callsOld =
      o.fromRevision !== undefined &&
      svc !== undefined &&
      svc.namespace === o.istioNamespace &&
      svc.name === istiodName(o.fromRevision);
    if (callsOld && target !== undefined && target.name !== svc.name) {
      hooks.push({
        ...w,
        clientConfig: { ...w.clientConfig, service: { ...svc, name: target.name, namespace: target.namespace } },
      });
      foreign.push({ name: w.name, repointed: true });
    } else {
      hooks.push(w);
      foreign.push({ name: w.name, repointed: false });
    }
  }
  hooks.push(...byName.values());
  const metadata = {
    ...live.metadata,
    labels: mergeLabels(live.metadata.labels, rendered.metadata.labels, CHART_OWNED.webhookLabels, o.helmOwned),
  };
  if (rendered.metadata.annotations !== undefined)
    metadata.annotations = { ...(live.metadata.annotations ?? {}), ...rendered.metadata.annotations };
  return { object: { ...live, metadata, webhooks: hooks }, foreign };
}

/** The tag Service to write over a live one: chart labels, `ports` and `selector` from the render, the rest kept (clusterIP & co). */
export function serviceOver(live: Service, rendered: Service, helmOwned: boolean): Service {
  const livePorts = live.spec?.ports ?? [];
  const ports = (rendered.spec?.ports ?? []).map((p) => {
    // A port's fields the chart does not render (targetPort defaulted to port, nodePort, appProtocol) stay.
    const same = livePorts.find((l) => l.name === p.name) ?? livePorts.find((l) => l.port === p.port);
    return { ...(same ?? {}), ...p };
  });
  const metadata = {
    ...live.metadata,
    labels: mergeLabels(live.metadata.labels, rendered.metadata.labels, CHART_OWNED.serviceLabels, helmOwned),
  };
  if (rendered.metadata.annotations !== undefined)
    metadata.annotations = { ...(live.metadata.annotations ?? {}), ...rendered.metadata.annotations };
  return { ...live, metadata, spec: { ...(live.spec ?? {}), ports, selector: rendered.spec?.selector ?? {} } };
}

/**
 * A tag Service kept at a revision whose chart renders none (a rollback restoring the objects the
 * tag had, §7): only its revision label and selector change.
 */
export function serviceRepointed(existing: Service, revision: string): Service {
  return {
    ...existing,
    metadata: { ...existing.metadata, labels: { ...(existing.metadata.labels ?? {}), [REV]: revision } },
    spec: { ...(existing.spec ?? {}), selector: { ...(existing.spec?.selector ?? {}), [REV]: revision } },
  };
}

/**
 * `istiod-default-validator` pointed at the revision (§2.2 step 6): its revision label and the
 * service its webhooks call; `failurePolicy` stays istiod's (§3.8), everything else is kept.
 */
export function validatorRepointed(v: WebhookConfiguration, revision: string): WebhookConfiguration {
  return {
    ...v,
    metadata: { ...v.metadata, labels: { ...(v.metadata.labels ?? {}), [REV]: revision } },
    webhooks: (v.webhooks ?? []).map((w) =>
      w.clientConfig.service === undefined
        ? w
        : {
            ...w,
            clientConfig: { ...w.clientConfig, service: { ...w.clientConfig.service, name: istiodName(revision) } },
          },
    ),
  };
}

/** The object with one annotation set (value) or removed (undefined); the annotations map disappears when empty. */
export function withAnnotation<T extends KubeObject>(o: T, key: string, value: string | undefined): T {
  const annotations = { ...(o.metadata.annotations ?? {}) };
  if (value === undefined) delete annotations[key];
  else annotations[key] = value;
  const { annotations: _a, ...rest } = o.metadata;
  return { ...o, metadata: Object.keys(annotations).length === 0 ? rest : { ...rest, annotations } };
}
