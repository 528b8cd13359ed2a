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
