/**
 * Loads a package the published client does not depend on (`@hit-pay/mpp-sandbox`,
 * `@hit-pay/mpp-broker`): only `mpp dev` needs them, so an agent installing the client does not
 * download a database. A missing package becomes an error that says how to install it.
 */
export async function optionalImport<T>(pkg: string, forWhat: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(error).includes(pkg)) {
      throw Object.assign(new Error(`${forWhat} needs ${pkg}: npm i -D ${pkg}`), {
        code: 'missing-package',
        cause: error,
      });
    }
    throw error;
  }
}
