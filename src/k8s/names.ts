/**
 * Kubernetes names: what an object's name, a label value and an annotation key may be
 * (Kubernetes' apimachinery validation rules, which the API server applies and the JSON schemas
 * do not). A Service's name must be an RFC 1035 label (it starts with a letter), so every name
 * generate-k8s writes is one: the same name serves the Deployment, the Service and the HPA.
 */

/** The longest DNS label. */
export const MAX_NAME_LENGTH = 63;

const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `name` is no RFC 1035 label of at most `maxLength` characters, or undefined when it is one. */
export function nameProblem(name: string, maxLength = MAX_NAME_LENGTH): string | undefined {
  if (name.length > maxLength) return `it has ${name.length} characters (at most ${maxLength})`;
  if (!RFC1035_LABEL.test(name)) return 'it must be lower-case letters, digits and `-`, start with a letter and end with a letter or digit';
  return undefined;
}

/**
 * A valid name made from any text (a model directory's or a registered model's name): lower
 * case, every run of other characters one `-`, a leading `m-` where it would not start with a
 * letter, cut to `maxLength`.
 */
export function nameFrom(text: string, maxLength = MAX_NAME_LENGTH): string {
  let name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(name)) name = name === '' ? 'model' : `m-${name}`;
  return name.slice(0, maxLength).replace(/-+$/, '');
}

/** Whether `value` may be a label's value (63 characters at most; annotations take anything). */
export function isLabelValue(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && LABEL_VALUE.test(value);
}
