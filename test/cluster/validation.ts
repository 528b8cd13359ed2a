/**
 * Name and metadata validation, ported from k8s.io/apimachinery/pkg/util/validation and
 * k8s.io/apimachinery/pkg/api/validation (message texts are the upstream ones, v1.22+ wording).
 */
import type { FieldError } from './status.ts';
import { isObject, type KubeObject } from './types.ts';

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const dns1123Label = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const dns1123Subdomain = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const dns1035Label = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const qualifiedName = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const labelValue = new RegExp(`^${LABEL_VALUE_FMT}$`);

/** `validation.RegexError`. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) out += ' or ';
    out += `'${e}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

/** `validation.MaxLenError`. */
function maxLenError(n: number): string {
  return `must be no more than ${n} characters`;
}

/** `IsDNS1123Label`: the list of problems (empty when valid). */
export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!dns1123Label.test(v)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        DNS1123_LABEL_FMT,
        'my-name',
        '123-abc',
      ),
    );
  }
  return errs;
}

/** `IsDNS1123Subdomain`. */
export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLenError(253));
  if (!dns1123Subdomain.test(v)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return errs;
}

/** `IsDNS1035Label` (Service names). */
export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!dns1035Label.test(v)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errs;
}

/** `path.IsValidPathSegmentName` (RBAC object names). */
export function isPathSegmentName(v: string): string[] {
  if (v === '.' || v === '..') return [`may not be '${v}'`];
  const errs: string[] = [];
  for (const c of ['/', '%']) if (v.includes(c)) errs.push(`may not contain '${c}'`);
  return errs;
}

/** `IsQualifiedName` (label and annotation keys). */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a qualified name ${regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!qualifiedName.test(name)) {
    errs.push(
      `name part ${regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errs;
}

/** `IsValidLabelValue`. */
export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!labelValue.test(v)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** How object names of a resource are validated. */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path';

/** Problems with a name under a rule. */
export function checkName(rule: NameRule, name: string): string[] {
  switch (rule) {
    case 'subdomain':
      return isDNS1123Subdomain(name);
    case 'label':
      return isDNS1123Label(name);
    case 'dns1035':
      return isDNS1035Label(name);
    case 'path':
      return isPathSegmentName(name);
  }
}

/** `ValidateObjectMeta` for create (name, generateName, namespace, labels, annotations). */
export function validateObjectMeta(obj: KubeObject, rule: NameRule, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const md = obj.metadata;
  const name = md.name ?? '';
  if (typeof md.generateName === 'string' && md.generateName !== '') {
    // ValidateObjectMeta checks generateName with the name rule in prefix mode (trailing '-' allowed).
    const prefix = md.generateName.replace(/-+$/, '');
    if (prefix !== '')
      for (const msg of checkName(rule, prefix))
        errs.push({ type: 'FieldValueInvalid', field: 'metadata.generateName', value: md.generateName, detail: msg });
  }
  if (name === '') {
    errs.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' });
  } else {
    for (const msg of checkName(rule, name))
      errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail: msg });
  }
  if (namespaced) {
    const ns = md.namespace ?? '';
    if (ns === '') errs.push({ type: 'FieldValueRequired', field: 'metadata.namespace', detail: '' });
    else
      for (const msg of isDNS1123Label(ns))
        errs.push({ type: 'FieldValueInvalid', field: 'metadata.namespace', value: ns, detail: msg });
  } else if (md.namespace !== undefined && md.namespace !== '') {
    errs.push({ type: 'FieldValueForbidden', field: 'metadata.namespace', detail: 'not allowed on this type' });
  }
  errs.push(...validateLabels(md.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(md.annotations, 'metadata.annotations'));
  return errs;
}

/** `ValidateLabels`. */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined || labels === null) return errs;
  if (!isObject(labels))
    return [{ type: 'FieldValueInvalid', field, value: labels, detail: 'must be a map of strings' }];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push({ type: 'FieldValueInvalid', field, value: k, detail: msg });
    if (typeof v !== 'string') {
      errs.push({ type: 'FieldValueInvalid', field: `${field}`, value: v, detail: 'label values must be strings' });
      continue;
    }
    for (const msg of isValidLabelValue(v)) errs.push({ type: 'FieldValueInvalid', field, value: v, detail: msg });
  }
  return errs;
}

/** `ValidateAnnotations` (keys and the 256 KiB total size limit). */
export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (annotations === undefined || annotations === null) return errs;
  if (!isObject(annotations))
    return [{ type: 'FieldValueInvalid', field, value: annotations, detail: 'must be a map of strings' }];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase()))
      errs.push({ type: 'FieldValueInvalid', field, value: k, detail: msg });
    total += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (total > 256 * 1024)
    errs.push({ type: 'FieldValueTooLong', field, detail: `must have at most ${256 * 1024} bytes` });
  return errs;
}
