/**
 * The agent app's own pieces the product page's snippet uses but does not define: a rail picker,
 * a way to open a link for the person, and grant storage. Here: the app picks a rail by policy,
 * opens links through a handler the host sets (a browser, a QR on screen, a chat message), and
 * keeps the grant in memory.
 */
let opener: (url: string) => void = (url) => {
  throw new Error(`no opener for ${url}`);
};
let stored = '';

export const ui = {
  /** Picks the first rail the app's policy allows (a real UI would ask the person). */
  async pickRail(rails: string[]): Promise<string> {
    return rails[0]!;
  },
};

export const window = {
  open(url: string): void {
    opener(url);
  },
};

/** How links reach the person in this host. */
export function setOpener(fn: (url: string) => void): void {
  opener = fn;
}

export function saveToDisk(jws: string): void {
  stored = jws;
}

export function loadFromDisk(): string {
  return stored;
}
