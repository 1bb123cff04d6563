/**
 * Bandwidth contention along a topology, one job per file:
 *   run.ts        contention(): binds the series to the customers, picks measured or model
 *   measured.ts   with series: tier sums bottom-up, then each customer against its path
 *   model.ts      without series: on-off sources per customer (exact where feasible, Gaussian and
 *                 Chernoff alongside)
 *   nominal.ts    oversubscription ratios from the topology alone
 *   guarantee.ts  a customer's guaranteed rate (plan or fair share); shape.ts its traffic shape
 *   types.ts      the report types and the SeriesSource the measured analysis reads
 */
export * from './types.js';
export { type NominalRow, nominal } from './nominal.js';
export { analyzeMeasured } from './measured.js';
export { modelTiers, modelAvailability, analyzeModel } from './model.js';
export { type ContentionResult, contention } from './run.js';
