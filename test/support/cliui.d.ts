// cliui ships no types; the help-layout test only wraps its default export (yargs' layout engine).
declare module 'cliui' {
  const cliui: (...args: unknown[]) => unknown;
  // eslint-disable-next-line no-restricted-syntax -- the package's own default export, declared as it is
  export default cliui;
}
