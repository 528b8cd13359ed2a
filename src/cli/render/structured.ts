import { stringify } from 'yaml';

/** `-o json`: the View as indented JSON. */
export function renderJson(view: unknown): string {
  return `${JSON.stringify(view, null, 2)}\n`;
}

/** `-o yaml`: the same View as YAML. */
export function renderYaml(view: unknown): string {
  // No anchors and aliases for objects that occur twice: each is written out, as kubectl does.
  return stringify(view, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** json or yaml, or undefined for the human formats. */
export function renderStructured(view: unknown, format: string): string | undefined {
  if (format === 'json') return renderJson(view);
  if (format === 'yaml') return renderYaml(view);
  return undefined;
}
