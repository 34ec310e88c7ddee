// @types/node@16 predates util.parseArgs (runtime >= 16.17), so declare just what we use.
// Pinning the Node 16 typings is what makes post-16 APIs (fetch, structuredClone, findLast) type errors.
declare module 'node:util' {
  interface ParseArgsOptionConfig {
    type: 'string' | 'boolean';
    short?: string;
    multiple?: boolean;
  }
  interface ParseArgsConfig {
    args?: string[];
    options?: Record<string, ParseArgsOptionConfig>;
    strict?: boolean;
    allowPositionals?: boolean;
  }
  function parseArgs(config: ParseArgsConfig): {
    values: Record<string, string | boolean | Array<string | boolean> | undefined>;
    positionals: string[];
  };
}
