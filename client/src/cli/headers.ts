/** Parses repeated `-H "Name: value"` flags; a malformed one is a usage error. */
export function parseHeaderFlags(list: readonly string[] = []): Headers {
  const headers = new Headers();
  for (const h of list) {
    const i = h.indexOf(':');
    if (i <= 0)
      throw Object.assign(new Error(`Bad header "${h}" (use "Name: value")`), { code: 'bad-request' });
    headers.append(h.slice(0, i).trim(), h.slice(i + 1).trim());
  }
  return headers;
}
