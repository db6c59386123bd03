/**
 * Loads the handler module the CLI was given. A CommonJS file (`.cjs`, or `.js` outside an ES
 * module package) is `require`d when the CLI itself runs as CommonJS (dist/cli.cjs, the image's
 * CMD): `import()` would start the ES module loader for it, about 2 ms of cold start more, to
 * end in the same `require`. Everything else, and a file `require` refuses as an ES module, is
 * `import()`ed.
 */
import { pathToFileURL } from 'node:url';

/** Node's codes for a file `require` cannot load because it is an ES module (or awaits at top level). */
const ESM_CODES: ReadonlySet<string> = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);

/**
 * The module's namespace as `import()` would give it: for CommonJS, `default` is
 * `module.exports` and its own properties are the named exports.
 */
export async function loadModule(path: string): Promise<Record<string, unknown>> {
  if (typeof require === 'function' && /\.c?js$/.test(path)) {
    let exported: unknown;
    try {
      exported = require(path);
    } catch (error) {
      if (!ESM_CODES.has((error as NodeJS.ErrnoException)?.code ?? '')) throw error;
      return await import(pathToFileURL(path).href) as Record<string, unknown>;
    }
    // Newer Node versions `require` an ES module too, and hand back its namespace as it is.
    if (exported !== null && typeof exported === 'object' && (exported as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module') return exported as Record<string, unknown>;
    return exported !== null && typeof exported === 'object' ? { ...exported as object, default: exported } : { default: exported };
  }
  return await import(pathToFileURL(path).href) as Record<string, unknown>;
}
