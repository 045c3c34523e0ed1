import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MppError } from '@hit-pay/mpp/protocol';
import type { SavedMethodGrant } from '../save.js';
import { defaultMppHome } from './file-ledger.js';

const defaultPath = (): string => join(defaultMppHome(), 'grant.json');

/** Stores a grant (a bearer credential) in a file only its owner can read (default `~/.mpp/grant.json`). */
export async function saveGrant(grant: SavedMethodGrant, path = defaultPath()): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(grant, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/** Loads a grant saved by {@link saveGrant}; accepts a bare JWS file too. */
export async function loadGrant(path = defaultPath()): Promise<SavedMethodGrant> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new MppError('bad-request', `No grant at ${path}`, { cause: error });
  }
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) {
    return {
      jws: text,
      savedMethodId: '',
      rail: '',
      currency: '',
      maxAmountPerCharge: '',
      totalAmountCap: '',
      url: '',
    };
  }
  try {
    const g = JSON.parse(text) as SavedMethodGrant;
    if (typeof g.jws !== 'string') throw new Error('no jws');
    return g;
  } catch (error) {
    throw new MppError('bad-request', `${path} holds no grant`, { cause: error });
  }
}
