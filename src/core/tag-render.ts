/**
 * Renders the objects of a revision tag exactly as Istio's istiod chart of the target revision's
 * version does (`templates/revision-tags.yaml`, from 1.28 `revision-tags-mwc.yaml` and
 * `revision-tags-svc.yaml`), as data: §1.2 and §1.3 of istio-semantics.md, checked against the real
 * renders in test/fixtures/helm. The rules are version *ranges*; no version is looked up exactly.
 */
import { offersAdmissionReviewV1beta1, rendersHelmLabels, rendersTagService } from './istio-rules.ts';
import {
  APP,
  APP_INSTANCE,
  APP_NAME,
  APP_PART_OF,
  APP_VERSION,
  DEFAULT_TAG,
  HELM_CHART,
  INJECTOR_SUFFIX,
  ISTIO,
  ISTIO_INJECTION,
  MANAGED_BY,
  NAMESPACE_NAME,
  OPERATOR_COMPONENT,
  OWNING_RESOURCE,
  RELEASE,
  REV,
  SIDECAR_INJECT,
  TAG,
  istiodName,
  tagServiceName,
  tagWebhookName,
} from './labels.ts';
import type { Labels, LabelSelector, Service, Webhook, WebhookClientConfig, WebhookConfiguration } from './model.ts';

/** The Helm release name the runbook renders with (`helm template istiod istio/istiod ...`). */
export const RELEASE_NAME = 'istiod';

/** What the chart's values would be for this render, taken from the target revision (§2.2 step 4). */
export interface TagRenderInput {
  tag: string;
  revision: string;
  /** The chart version: the target revision's Istio version. */
  version: string;
  istioNamespace: string;
  /**
   * Copied from the target's canonical injector, like istioctl: caBundle, url (remote control
   * planes), service name and path, reinvocationPolicy. Absent: the chart defaults.
   */
  canonical?: Webhook | undefined;
  /**
   * `sidecarInjectorWebhook.enableNamespacesByDefault` (istioctl `--auto-inject-namespaces`): the
   * default tag also gets the `auto.` webhook (§1.3 row 5). Default false, like the chart.
   */
  enableNamespacesByDefault?: boolean;
}

/** Version-range rules of the template (§1.2). */
export interface TemplateShape {
  /** 1.21/1.22 offer v1beta1 too; 1.23+ only v1 (#51589). */
  admissionReviewVersions: string[];
  /** 1.24+ add app.kubernetes.io/* and helm.sh/chart labels (istio.labels helper). */
  helmLabels: boolean;
  /** 1.28+ render the tag Service `istiod-revision-tag-<tag>` (#56963). */
  service: boolean;
}

/** The template shape of a chart version (the rules: istio-rules.ts, §1.2). */
export function templateShape(version: string): TemplateShape {
  return {
    admissionReviewVersions: offersAdmissionReviewV1beta1(version) ? ['v1beta1', 'v1'] : ['v1'],
    helmLabels: rendersHelmLabels(version),
    service: rendersTagService(version),
  };
}

/** `istio.labels` (1.24+): managed-by, instance, part-of, version, chart. */
function helmLabels(version: string): Labels {
  return {
    [APP_NAME]: 'istiod',
    [MANAGED_BY]: 'Helm',
    [APP_INSTANCE]: RELEASE_NAME,
    [APP_PART_OF]: 'istio',
    [APP_VERSION]: version,
    [HELM_CHART]: `istiod-${version}`,
  };
}

function exprs(...e: [string, string, string[]?][]): LabelSelector {
  return {
    matchExpressions: e.map(([key, operator, values]) =>
      values === undefined ? { key, operator } : { key, operator, values },
    ),
  };
}

/** Namespaces the chart's `auto.` webhook never injects (§1.3 row 5). */
const AUTO_EXCLUDED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

/** Name of the webhook the chart adds to `default` with enableNamespacesByDefault (§1.3 row 5). */
export const AUTO_WEBHOOK = 'auto.sidecar-injector.istio.io';

/** The webhooks of a tag in template order: 2, or 4 (5 with enableNamespacesByDefault) for `default` (§1.3 tables). */
function webhookSelectors(
  tag: string,
  enableNamespacesByDefault: boolean,
): { name: string; namespaceSelector: LabelSelector; objectSelector: LabelSelector }[] {
  const hooks = [
    {
      name: 'rev.namespace.sidecar-injector.istio.io',
      namespaceSelector: exprs([REV, 'In', [tag]], [ISTIO_INJECTION, 'DoesNotExist']),
      objectSelector: exprs([SIDECAR_INJECT, 'NotIn', ['false']]),
    },
    {
      name: 'rev.object.sidecar-injector.istio.io',
      namespaceSelector: exprs([REV, 'DoesNotExist'], [ISTIO_INJECTION, 'DoesNotExist']),
      objectSelector: exprs([SIDECAR_INJECT, 'NotIn', ['false']], [REV, 'In', [tag]]),
    },
  ];
  if (tag === DEFAULT_TAG) {
    hooks.push(
      {
        name: 'namespace.sidecar-injector.istio.io',
        namespaceSelector: exprs([ISTIO_INJECTION, 'In', ['enabled']]),
        objectSelector: exprs([SIDECAR_INJECT, 'NotIn', ['false']]),
      },
      {
        name: 'object.sidecar-injector.istio.io',
        namespaceSelector: exprs([ISTIO_INJECTION, 'DoesNotExist'], [REV, 'DoesNotExist']),
        objectSelector: exprs([SIDECAR_INJECT, 'In', ['true']], [REV, 'DoesNotExist']),
      },
    );
    if (enableNamespacesByDefault) {
      hooks.push({
        name: AUTO_WEBHOOK,
        namespaceSelector: exprs(
          [ISTIO_INJECTION, 'DoesNotExist'],
          [REV, 'DoesNotExist'],
          [NAMESPACE_NAME, 'NotIn', AUTO_EXCLUDED_NAMESPACES],
        ),
        objectSelector: exprs([SIDECAR_INJECT, 'DoesNotExist'], [REV, 'DoesNotExist']),
      });
    }
  }
  return hooks;
}

/** The injector's clientConfig: the chart's service, or what the canonical webhook uses (§2.2 step 4). */
function clientConfig(input: TagRenderInput): WebhookClientConfig {
  const c = input.canonical?.clientConfig;
  const cfg: WebhookClientConfig =
    c?.url !== undefined
      ? { url: c.url }
      : {
          service: {
            name: c?.service?.name ?? istiodName(input.revision),
            namespace: input.istioNamespace,
            path: c?.service?.path ?? '/inject',
            port: 443,
          },
        };
  if (c?.caBundle !== undefined && c.caBundle !== '') cfg.caBundle = c.caBundle;
  return cfg;
}

/** The tag's MutatingWebhookConfiguration as the chart renders it (§1.3a). */
export function renderTagWebhook(input: TagRenderInput): WebhookConfiguration {
  const shape = templateShape(input.version);
  const labels: Labels = {
    [TAG]: input.tag,
    [REV]: input.revision,
    [OWNING_RESOURCE]: 'unknown',
    [OPERATOR_COMPONENT]: 'Pilot',
    [APP]: 'sidecar-injector',
    [RELEASE]: RELEASE_NAME,
    ...(shape.helmLabels ? helmLabels(input.version) : {}),
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: tagWebhookName(input.tag, input.istioNamespace), labels },
    webhooks: webhookSelectors(input.tag, input.enableNamespacesByDefault === true).map((w) => ({
      name: w.name,
      clientConfig: clientConfig(input),
      sideEffects: 'None',
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      failurePolicy: 'Fail',
      reinvocationPolicy: input.canonical?.reinvocationPolicy ?? 'Never',
      admissionReviewVersions: shape.admissionReviewVersions,
      namespaceSelector: w.namespaceSelector,
      objectSelector: w.objectSelector,
    })),
  };
}

/** The 1.28+ tag Service (§1.3b): like the istiod Service, labelled with the tag. */
export function renderTagService(input: TagRenderInput): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: tagServiceName(input.tag),
      namespace: input.istioNamespace,
      labels: {
        [REV]: input.revision,
        [TAG]: input.tag,
        [OWNING_RESOURCE]: 'unknown',
        [OPERATOR_COMPONENT]: 'Pilot',
        [APP]: 'istiod',
        [ISTIO]: 'pilot',
        [RELEASE]: RELEASE_NAME,
        ...helmLabels(input.version),
      },
    },
    spec: {
      ports: [
        { port: 15010, name: 'grpc-xds', protocol: 'TCP' },
        { port: 15012, name: 'https-dns', protocol: 'TCP' },
        { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
        { port: 15014, name: 'http-monitoring', protocol: 'TCP' },
      ],
      selector: { [APP]: 'istiod', [REV]: input.revision },
    },
  };
}

/** The first webhook of a canonical injector whose name ends in `sidecar-injector.istio.io` (§2.2 step 4). */
export function injectorOf(mwc: WebhookConfiguration | undefined): Webhook | undefined {
  return mwc?.webhooks?.find((w) => w.name.endsWith(INJECTOR_SUFFIX));
}

/** Everything the chart renders for the tag: the webhook, and from 1.28 the Service. */
export function renderTag(input: TagRenderInput): { webhook: WebhookConfiguration; service: Service | undefined } {
  return {
    webhook: renderTagWebhook(input),
    service: templateShape(input.version).service ? renderTagService(input) : undefined,
  };
}

/**
 * What the chart owns on a tag's objects, in every version it renders (§1.2, §1.3): the label keys
 * (a key missing from one version's render is removed by a move to that version), and the fields
 * of each webhook it renders (webhooks are matched by name). Everything else on a live object belongs to someone else
 * and is kept: other labels and annotations, webhooks with other names, `timeoutSeconds`,
 * `matchPolicy`, `matchConditions`, `caBundle` (istiod's, §3.5), and on the Service everything
 * but its labels, `ports` and `selector`.
 */
/** The labels of `istio.labels` plus `app.kubernetes.io/name`, on tag objects from 1.24 (§1.2). */
const HELM_LABEL_KEYS = [APP_NAME, MANAGED_BY, APP_INSTANCE, APP_PART_OF, APP_VERSION, HELM_CHART] as const;

export const CHART_OWNED = {
  webhookLabels: [TAG, REV, OWNING_RESOURCE, OPERATOR_COMPONENT, APP, RELEASE, ...HELM_LABEL_KEYS],
  serviceLabels: [REV, TAG, OWNING_RESOURCE, OPERATOR_COMPONENT, APP, ISTIO, RELEASE, ...HELM_LABEL_KEYS],
  webhookFields: [
    'clientConfig',
    'sideEffects',
    'rules',
    'failurePolicy',
    'reinvocationPolicy',
    'admissionReviewVersions',
    'namespaceSelector',
    'objectSelector',
  ],
  serviceFields: ['ports', 'selector'],
} as const;
