/** A hostops.yaml duration field: seconds, or "20s"/"5m"/"1h"; the error names what was given. */
import { z } from 'zod';
import { parseDuration } from './units.js';

export const duration = (dflt: string) =>
  z
    .union([z.number(), z.string()])
    .default(dflt)
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === null) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration such as "30s", "5m" or a number of seconds, got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      return s;
    });
