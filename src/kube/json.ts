/**
 * List pages without `managedFields`, before JSON.parse: on a real API server they are about half
 * of every object's bytes (server-side apply bookkeeping the suite never reads and deletes from
 * every list item anyway), and parsing them dominated the peak memory of a 10,000-namespace
 * snapshot (about 30 MiB; README "Performance").
 *
 * The API server writes compact JSON (encoding/json), so a member is exactly `"managedFields":[`.
 * That text can only be a key: inside a JSON string its quotes are escaped. The array is skipped
 * with a JSON-aware scan (its strings hold brackets, e.g. `"k:{\"type\":\"Ready\"}"`). Anything
 * else (pretty-printed JSON) is left alone: the caller still deletes the field after parsing.
 */
const KEY = '"managedFields":[';

export function withoutManagedFields(text: string): string {
  let at = text.indexOf(KEY);
  if (at < 0) return text;
  const parts: string[] = [];
  let from = 0;
  while (at >= 0) {
    // An escaped quote before it: the text is inside a string after all.
    if (at > 0 && text.charCodeAt(at - 1) === 0x5c) {
      at = text.indexOf(KEY, at + 1);
      continue;
    }
    let end = at + KEY.length;
    let depth = 1;
    let inString = false;
    while (end < text.length && depth > 0) {
      const c = text.charCodeAt(end++);
      if (inString) {
        if (c === 0x5c)
          end++; // the escaped character
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) depth++;
      else if (c === 0x5d || c === 0x7d) depth--;
    }
    if (depth > 0) return text; // truncated: let JSON.parse say so
    // The member and one comma beside it.
    let start = at;
    if (text.charCodeAt(end) === 0x2c) end++;
    else if (text.charCodeAt(start - 1) === 0x2c) start--;
    parts.push(text.slice(from, start));
    from = end;
    at = text.indexOf(KEY, from);
  }
  parts.push(text.slice(from));
  return parts.join('');
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A list answer whose `items` are not all objects: not a Kubernetes list. */
export class NotAListError extends Error {}

/**
 * A list answer, split as it arrives: each object of its top-level `items` array goes to `onItem`
 * as its own JSON text (parsed and cut down there, one at a time), and the rest, `"items":[]`
 * included, is returned by `end()` (metadata.continue, kind). So a page never exists whole in
 * memory: not its bytes, its text, nor its parsed objects (README "Performance": peak RSS).
 *
 * A JSON-aware scan of the bytes (JSON's structural characters are ASCII, so UTF-8 needs no
 * decoding to find them); strings are skipped with indexOf. Anything that is not JSON stays in the
 * rest, for the caller's JSON.parse to reject; an item that is not an object throws NotAListError.
 * Written here: the streaming JSON parsers on npm build every value in JavaScript, several times
 * slower than JSON.parse of each item.
 */
export class ListSplitter {
  private depth = 0;
  private inString = false;
  /** A backslash ended the last chunk inside a string: the next byte is escaped. */
  private escaped = false;
  /** Inside the top-level `items` array (its elements are at depth 2). */
  private inItems = false;
  /** Parts of the item being read (it started in an earlier chunk). */
  private item: Buffer[] = [];
  private inItem = false;
  /** Parts of a top-level string being read (to recognise the key `items`). */
  private key: Buffer[] | undefined;
  /** The last top-level string was `"items"` and only a colon followed. */
  private afterItemsKey = false;
  private readonly rest: Buffer[] = [];

  constructor(private readonly onItem: (json: string) => void) {}

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    // Where the current run of rest or item bytes started in this chunk.
    let from = 0;
    let keyFrom = 0;
    let backslash = -2; // the next backslash at or after i (-1: none left in this chunk)
    if (this.escaped && n > 0) {
      this.escaped = false;
      i = 1;
    }
    while (i < n) {
      if (this.inString) {
        const q = chunk.indexOf(QUOTE, i);
        if (backslash !== -1 && backslash < i) backslash = chunk.indexOf(BACKSLASH, i);
        if (backslash !== -1 && (q === -1 || backslash < q)) {
          i = backslash + 2; // the escaped byte is skipped
          if (i > n) this.escaped = true;
          continue;
        }
        if (q === -1) break; // the string goes on in the next chunk
        this.inString = false;
        i = q + 1;
        if (this.key !== undefined) {
          this.key.push(chunk.subarray(keyFrom, q));
          this.afterItemsKey = Buffer.concat(this.key).toString('latin1') === 'items';
          this.key = undefined;
        }
        continue;
      }
      const c = chunk[i] as number;
      if (c === QUOTE) {
        if (this.inItems && this.depth === 2 && !this.inItem) throw new NotAListError('a list item is not an object');
        this.inString = true;
        if (this.depth === 1) {
          this.key = [];
          keyFrom = i + 1;
        }
        this.afterItemsKey = false;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.depth === 1 && c === OPEN_ARRAY && this.afterItemsKey) this.inItems = true;
        else if (this.inItems && this.depth === 2) {
          if (c !== OPEN_OBJECT) throw new NotAListError('a list item is not an object');
          this.keep(chunk, from, i);
          from = i;
          this.inItem = true;
        }
        this.depth++;
        this.afterItemsKey = false;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.inItem && this.depth === 2) {
          this.item.push(chunk.subarray(from, i + 1));
          this.emit();
          from = i + 1;
        } else if (this.inItems && this.depth === 1) this.inItems = false;
        this.afterItemsKey = false;
      } else if (c === COMMA) {
        if (this.inItems && this.depth === 2 && !this.inItem) {
          // The comma between two items: the rest keeps `[]`.
          this.keep(chunk, from, i);
          from = i + 1;
        }
        this.afterItemsKey = false;
      } else if (c !== COLON && !isSpace(c)) {
        if (this.inItems && this.depth === 2 && !this.inItem) throw new NotAListError('a list item is not an object');
        this.afterItemsKey = false;
      }
      i++;
    }
    if (this.inItem) this.item.push(chunk.subarray(from));
    else this.keep(chunk, from, n);
    if (this.key !== undefined) this.key.push(chunk.subarray(keyFrom));
  }

  /** The answer without its items; an answer cut off in an item keeps it, so that parsing it fails. */
  end(): string {
    return Buffer.concat(this.inItem ? [...this.rest, ...this.item] : this.rest).toString('utf8');
  }

  /** Bytes of the rest, copied: a view would keep the whole chunk (16 KiB or more) alive until the end. */
  private keep(chunk: Buffer, from: number, to: number): void {
    if (to > from) this.rest.push(Buffer.from(chunk.subarray(from, to)));
  }

  private emit(): void {
    const text =
      this.item.length === 1 ? (this.item[0] as Buffer).toString('utf8') : Buffer.concat(this.item).toString('utf8');
    this.item = [];
    this.inItem = false;
    this.onItem(text);
  }
}
