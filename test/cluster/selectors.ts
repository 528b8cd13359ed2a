/**
 * Label and field selectors: a port of k8s.io/apimachinery/pkg/labels (selector.go) and
 * k8s.io/apimachinery/pkg/fields (selector.go), including their error messages.
 */
import { isQualifiedName, isValidLabelValue } from './validation.ts';
import { isObject, type KubeObject } from './types.ts';

/** A selector operator (`selection.Operator`). */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';

/** One requirement of a label selector. */
export interface Requirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** A parsed label selector (requirements are ANDed; empty matches everything). */
export interface LabelSelector {
  requirements: Requirement[];
  /** True if the selector restricts nothing. */
  empty: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
}

/** Thrown for an unparsable selector; the message is the one kube-apiserver returns (as a 400). */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

const enum Tok {
  Error,
  End,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const STRING2TOKEN: Record<string, Tok> = {
  ')': Tok.ClosedPar,
  ',': Tok.Comma,
  '!': Tok.DoesNotExist,
  '==': Tok.DoubleEquals,
  '=': Tok.Equals,
  '>': Tok.GreaterThan,
  in: Tok.In,
  '<': Tok.LessThan,
  '!=': Tok.NotEquals,
  notin: Tok.NotIn,
  '(': Tok.OpenPar,
};

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'].join(', ');

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return '=!(),><'.includes(ch) && ch !== '';
}

interface Item {
  tok: Tok;
  lit: string;
}

/** The lexer of labels.Parse (byte oriented like the Go one). */
function lex(s: string): Item[] {
  let pos = 0;
  const read = (): string => (pos < s.length ? (s[pos++] ?? '') : '');
  const unread = (): void => {
    pos--;
  };
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (ch !== '' && isWhitespace(ch)) ch = read();
    if (ch === '') {
      items.push({ tok: Tok.End, lit: '' });
      return items;
    }
    unread();
    if (isSpecialSymbol(ch)) {
      let buffer = '';
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === '') break;
        if (isSpecialSymbol(c)) {
          buffer += c;
          const t = STRING2TOKEN[buffer];
          if (t !== undefined) last = { tok: t, lit: buffer };
          else if (last !== undefined) {
            unread();
            break;
          }
        } else {
          unread();
          break;
        }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buffer}'` });
    } else {
      let buffer = '';
      for (;;) {
        const c = read();
        if (c === '') break;
        if (isSpecialSymbol(c) || isWhitespace(c)) {
          unread();
          break;
        }
        buffer += c;
      }
      const t = STRING2TOKEN[buffer];
      items.push({ tok: t ?? Tok.Identifier, lit: buffer });
    }
  }
}

/** Parse a label selector string with the full upstream grammar. Throws SelectorError. */
export function parseLabelSelector(selector: string): LabelSelector {
  const items = lex(selector);
  let position = 0;
  // In "Values" context `in`/`notin` are plain identifiers.
  const asValue = (it: Item): Item =>
    it.tok === Tok.In || it.tok === Tok.NotIn ? { tok: Tok.Identifier, lit: it.lit } : it;
  const lookahead = (values: boolean): Item => {
    const it = items[position] ?? { tok: Tok.End, lit: '' };
    return values ? asValue(it) : it;
  };
  const consume = (values: boolean): Item => {
    const it = items[position] ?? { tok: Tok.End, lit: '' };
    position++;
    return values ? asValue(it) : it;
  };

  const validateKey = (k: string): void => {
    const errs = isQualifiedName(k);
    if (errs.length > 0) throw new SelectorError(`<nil>: Invalid value: ${JSON.stringify(k)}: ${errs.join('; ')}`);
  };

  const parseValues = (): string[] => {
    const open = consume(true);
    if (open.tok !== Tok.OpenPar) throw new SelectorError(`found '${open.lit}' expected: '('`);
    const la = lookahead(true);
    if (la.tok === Tok.Identifier || la.tok === Tok.Comma) {
      const s = new Set<string>();
      for (;;) {
        const it = consume(true);
        if (it.tok === Tok.Identifier) {
          s.add(it.lit);
          const la2 = lookahead(true);
          if (la2.tok === Tok.Comma) continue;
          if (la2.tok === Tok.ClosedPar) break;
          throw new SelectorError(`found '${la2.lit}', expected: ',' or ')'`);
        } else if (it.tok === Tok.Comma) {
          if (s.size === 0) s.add('');
          const la2 = lookahead(true);
          if (la2.tok === Tok.ClosedPar) {
            s.add('');
            break;
          }
          if (la2.tok === Tok.Comma) s.add('');
        } else {
          throw new SelectorError(`found '${it.lit}', expected: ',', or identifier`);
        }
      }
      const close = consume(true);
      if (close.tok !== Tok.ClosedPar) throw new SelectorError(`found '${la.lit}', expected: ')'`);
      return [...s].sort();
    }
    if (la.tok === Tok.ClosedPar) {
      consume(true);
      return [''];
    }
    throw new SelectorError(`found '${la.lit}', expected: ',', ')' or identifier`);
  };

  const parseRequirement = (): Requirement => {
    // parseKeyAndInferOperator
    let operator: LabelOperator | undefined;
    let it = consume(true);
    if (it.tok === Tok.DoesNotExist) {
      operator = '!';
      it = consume(true);
    }
    if (it.tok !== Tok.Identifier) throw new SelectorError(`found '${it.lit}', expected: identifier`);
    const key = it.lit;
    validateKey(key);
    const la = lookahead(true);
    if (la.tok === Tok.End || la.tok === Tok.Comma) {
      return { key, operator: operator ?? 'exists', values: [] };
    }
    // "!key" is complete even when more follows (the caller then reports the unexpected token).
    if (operator === '!') return { key, operator, values: [] };
    // parseOperator
    const opTok = consume(false);
    let op: LabelOperator;
    switch (opTok.tok) {
      case Tok.In:
        op = 'in';
        break;
      case Tok.Equals:
        op = '=';
        break;
      case Tok.DoubleEquals:
        op = '==';
        break;
      case Tok.GreaterThan:
        op = 'gt';
        break;
      case Tok.LessThan:
        op = 'lt';
        break;
      case Tok.NotIn:
        op = 'notin';
        break;
      case Tok.NotEquals:
        op = '!=';
        break;
      default:
        throw new SelectorError(`found '${opTok.lit}', expected: ${BINARY_OPERATORS}`);
    }
    let values: string[];
    if (op === 'in' || op === 'notin') {
      values = parseValues();
    } else {
      const la2 = lookahead(true);
      if (la2.tok === Tok.End || la2.tok === Tok.Comma) values = [''];
      else {
        const v = consume(true);
        if (v.tok !== Tok.Identifier) throw new SelectorError(`found '${v.lit}', expected: identifier`);
        values = [v.lit];
      }
    }
    // NewRequirement validation.
    const problems: string[] = [];
    if (op === 'gt' || op === 'lt') {
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v))
          problems.push(
            `values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
      });
    }
    values.forEach((v, i) => {
      const errs = isValidLabelValue(v);
      if (errs.length > 0)
        problems.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
    });
    if (problems.length === 1) throw new SelectorError(problems[0] ?? '');
    if (problems.length > 1) throw new SelectorError(`[${problems.join(', ')}]`);
    return { key, operator: op, values };
  };

  const requirements: Requirement[] = [];
  {
    for (;;) {
      const la = lookahead(true);
      if (la.tok === Tok.Identifier || la.tok === Tok.DoesNotExist) {
        let r: Requirement;
        try {
          r = parseRequirement();
        } catch (e) {
          if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        requirements.push(r);
        const t = consume(true);
        if (t.tok === Tok.End) break;
        if (t.tok === Tok.Comma) {
          const t2 = lookahead(true);
          if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist)
            throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
          continue;
        }
        throw new SelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
      } else if (la.tok === Tok.End) {
        break;
      } else {
        throw new SelectorError(`found '${la.lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels ?? {})),
  };
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const val = labels[r.key];
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(val ?? '');
    case 'notin':
    case '!=':
      return !has || !r.values.includes(val ?? '');
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(val ?? '')) return false;
      const lv = BigInt(val ?? '0');
      const rv = BigInt(r.values[0] ?? '0');
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

/** One term of a field selector. */
export interface FieldTerm {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** A parsed field selector. */
export interface FieldSelector {
  terms: FieldTerm[];
  empty: boolean;
  matches(obj: KubeObject): boolean;
}

/** `fields.splitTerms`: split on commas not escaped with a backslash. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let cur = '';
  let escaped = false;
  for (const ch of s) {
    if (escaped) {
      cur += ch;
      escaped = false;
    } else if (ch === '\\') {
      cur += ch;
      escaped = true;
    } else if (ch === ',') {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms;
}

/** `fields.UnescapeValue`. */
function unescapeValue(s: string): string {
  let out = '';
  let escaped = false;
  for (const ch of s) {
    if (escaped) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') throw new SelectorError(`invalid escape sequence: \\${ch}`);
      out += ch;
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (ch === ',' || ch === '=') throw new SelectorError(`unescaped ${ch}`);
    else out += ch;
  }
  if (escaped) throw new SelectorError('invalid escape sequence');
  return out;
}

/** Read a dotted field path of an object as the string a field selector compares against. */
export function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return '';
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return JSON.stringify(cur);
}

/** Parse a field selector (`=`, `==`, `!=`; terms comma separated). Throws SelectorError. */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const terms: FieldTerm[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let found: FieldTerm | undefined;
    for (let i = 0; i < part.length && found === undefined; i++) {
      for (const op of ['!=', '==', '='] as const) {
        if (part.startsWith(op, i)) {
          found = {
            field: part.slice(0, i),
            op: op === '==' ? '=' : op,
            value: unescapeValue(part.slice(i + op.length)),
          };
          break;
        }
      }
    }
    if (found === undefined) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    terms.push(found);
  }
  return {
    terms,
    empty: terms.length === 0,
    matches: (obj) => terms.every((t) => (fieldValue(obj, t.field) === t.value) === (t.op === '=')),
  };
}
