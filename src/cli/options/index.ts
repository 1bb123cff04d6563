/** Typed option tables for the CLI: declare (spec.ts), read (parse.ts), register (apply.ts). */
export type { OptionSpec, OptionTable, OptionType } from './spec.js';
export { expectedText, flagName, rangeText, readOption } from './parse.js';
export { applyOptions, defaultText, helpLine, specOf, typeText } from './apply.js';
