/**
 * PostgreSQL-only: the 5-minute and hourly rollups partitioned by day like the raw rounds, so
 * their retention is a DROP of whole days for the fleet too, never a DELETE scan, and site roles
 * need no DELETE on them. A default partition takes a bucket whose day has no partition (a spool
 * replayed long after), so a rollup never fails for want of one; creating that day moves its rows.
 */

const DAY = 86400;

/** Days of partitions created by the migration when the table is empty: yesterday to 3 days on. */
const FIRST_DAYS = `floor(extract(epoch FROM now()) / ${DAY}) * ${DAY}`;

/** Fillfactor of the hourly rollup's partitions (pg-history.ts: every rollup pass of an hour updates its rows). */
export const HOUR_FILLFACTOR = 80;

/** Daily partitions [from, to] of both rollup tables, named <table>_pYYYYMMDD; serialised with the
 *  raw partitions' lock. Rows of that day already in the default partition move into the new one. */
export const ROLLUP_PARTITIONS_FN = `CREATE OR REPLACE FUNCTION hostops_rollup_partitions(p_from DOUBLE PRECISION, p_to DOUBLE PRECISION) RETURNS INTEGER
   LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
   DECLARE d BIGINT; t TEXT; opts TEXT; made INTEGER := 0; pname TEXT; lo DOUBLE PRECISION; hi DOUBLE PRECISION; waiting BOOLEAN;
   BEGIN
     IF p_from IS NULL OR p_to IS NULL OR p_to < p_from THEN RETURN 0; END IF;
     IF p_to - p_from > 400 * ${DAY} THEN
       RAISE EXCEPTION 'hostops_rollup_partitions: % days asked for, at most 400', ceil((p_to - p_from) / ${DAY});
     END IF;
     PERFORM pg_advisory_xact_lock(1752134516);
     FOREACH t IN ARRAY ARRAY['ping_5m', 'ping_1h'] LOOP
       -- hourly rows are rewritten by every pass of their hour: room on the page keeps that HOT
       opts := CASE t WHEN 'ping_1h' THEN ' WITH (fillfactor = ${HOUR_FILLFACTOR})' ELSE '' END;
       FOR d IN floor(p_from / ${DAY})::BIGINT .. floor(p_to / ${DAY})::BIGINT LOOP
         pname := t || '_p' || to_char(to_timestamp(d * ${DAY}) AT TIME ZONE 'UTC', 'YYYYMMDD');
         CONTINUE WHEN to_regclass(pname) IS NOT NULL;
         lo := d * ${DAY};
         hi := (d + 1) * ${DAY};
         EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE ts >= %s AND ts < %s)', t || '_default', lo, hi) INTO waiting;
         IF waiting THEN
           EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', pname, t) || opts;
           EXECUTE format('WITH m AS (DELETE FROM %I WHERE ts >= %s AND ts < %s RETURNING *) INSERT INTO %I SELECT * FROM m',
             t || '_default', lo, hi, pname);
           EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', t, pname, lo, hi);
         ELSE
           EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', pname, t, lo, hi) || opts;
         END IF;
         made := made + 1;
       END LOOP;
     END LOOP;
     RETURN made;
   END $$`;

export const PG_ROLLUP_PARTITION_SQL: string[] = [
  ROLLUP_PARTITIONS_FN,
  // each site's declared rollup retention, next to its raw one (raw may now be absent)
  'ALTER TABLE store_retention ALTER COLUMN raw DROP NOT NULL',
  'ALTER TABLE store_retention ADD COLUMN IF NOT EXISTS five_minute DOUBLE PRECISION',
  'ALTER TABLE store_retention ADD COLUMN IF NOT EXISTS hourly DOUBLE PRECISION',
  // retention of the rollups for the whole fleet, under the raw retention's lock: the inventory's
  // retention.fiveMinute / retention.hourly when set, else the longest any site declared (once
  // every inventory site has). Whole days go by DROP; the default partition (late replays only)
  // is the one place rows are deleted, also by whole days.
  // Same guards as hostops_ping_retention: a role declares for its own site, "now" is capped.
  `CREATE OR REPLACE FUNCTION hostops_rollup_retention(p_site TEXT, p_five DOUBLE PRECISION, p_hourly DOUBLE PRECISION, p_now DOUBLE PRECISION)
   RETURNS INTEGER LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
   DECLARE s TEXT := p_site; t TEXT; col TEXT; setting TEXT; fleet TEXT; keep DOUBLE PRECISION; cutoff DOUBLE PRECISION;
     silent BIGINT; part RECORD; hi DOUBLE PRECISION; dropped INTEGER := 0;
   BEGIN
     IF NOT pg_try_advisory_xact_lock(1752134517) THEN RETURN -1; END IF;
     IF to_regclass('fleet_sites') IS NOT NULL THEN
       EXECUTE 'SELECT name FROM fleet_sites WHERE role = $1' INTO s USING session_user;
       s := COALESCE(s, p_site);
     END IF;
     INSERT INTO store_retention (site, raw, declared_at, five_minute, hourly)
       VALUES (s, NULL, p_now, NULLIF(greatest(p_five, 0), 0), NULLIF(greatest(p_hourly, 0), 0))
       ON CONFLICT (site) DO UPDATE SET five_minute = COALESCE(excluded.five_minute, store_retention.five_minute),
         hourly = COALESCE(excluded.hourly, store_retention.hourly);
     FOREACH t IN ARRAY ARRAY['ping_5m', 'ping_1h'] LOOP
       setting := CASE t WHEN 'ping_5m' THEN 'retention.fiveMinute' ELSE 'retention.hourly' END;
       fleet := NULL;
       IF to_regclass('fleet_settings') IS NOT NULL THEN
         EXECUTE 'SELECT value FROM fleet_settings WHERE key = $1' INTO fleet USING setting;
       END IF;
       col := CASE t WHEN 'ping_5m' THEN 'five_minute' ELSE 'hourly' END;
       EXECUTE format('SELECT max(%I) FROM store_retention', col) INTO keep;
       keep := COALESCE(hostops_seconds(fleet), keep);
       -- without the inventory's value, a site of the inventory that has not declared yet may keep
       -- longer than anyone who has: nothing goes until every site has spoken
       IF fleet IS NULL AND to_regclass('fleet_sites') IS NOT NULL THEN
         EXECUTE format('SELECT count(*) FROM fleet_sites f WHERE NOT EXISTS (SELECT 1 FROM store_retention r WHERE r.site = f.name AND r.%I IS NOT NULL)', col)
           INTO silent;
         CONTINUE WHEN silent > 0;
       END IF;
       CONTINUE WHEN keep IS NULL OR to_regclass(t || '_default') IS NULL;
       cutoff := LEAST(p_now, extract(epoch FROM clock_timestamp())) - keep;
       FOR part IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   WHERE i.inhparent = t::regclass AND c.relname <> t || '_default' LOOP
         hi := (regexp_match(part.bound, 'TO \\(''?([-0-9.e+]+)''?\\)'))[1]::DOUBLE PRECISION;
         IF hi IS NOT NULL AND hi <= cutoff THEN
           EXECUTE format('DROP TABLE %I', part.relname);
           dropped := dropped + 1;
         END IF;
       END LOOP;
       -- whole days here too: the rows of days that ended before the cutoff
       EXECUTE format('DELETE FROM %I WHERE ts < %s', t || '_default', floor(cutoff / ${DAY}) * ${DAY});
     END LOOP;
     RETURN dropped;
   END $$`,
  // the conversion of both rollup tables (together: the partition function makes days of both):
  // partitioned copies, partitions for the days the rows need and for now, the rows, then the
  // indexes, row-level security, policies and grants (all but DELETE and TRUNCATE: no agent needs them)
  `DO $$
   DECLARE t TEXT; old TEXT; defs TEXT[] := '{}'; def TEXT; pol RECORD; g RECORD; lo DOUBLE PRECISION; hi DOUBLE PRECISION;
     l DOUBLE PRECISION; h DOUBLE PRECISION; rls BOOLEAN;
   BEGIN
     IF (SELECT relkind FROM pg_class WHERE oid = 'ping_5m'::regclass) = 'p' THEN RETURN; END IF;
     FOREACH t IN ARRAY ARRAY['ping_5m', 'ping_1h'] LOOP
       old := t || '_unpartitioned';
       -- every index but the primary key's: made again on the new table under the same name
       defs := defs || ARRAY(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = t::regclass AND NOT i.indisprimary);
       EXECUTE format('ALTER TABLE %I RENAME TO %I', t, old);
       EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS) PARTITION BY RANGE (ts)', t, old);
       EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_default', t);
       EXECUTE format('SELECT min(ts), max(ts) FROM %I', old) INTO l, h;
       lo := least(lo, l);
       hi := greatest(hi, h);
     END LOOP;
     -- the days the rows need (at most 400, the newest; older rows wait in the default partition
     -- for retention), and yesterday to 3 days on for what the agents write next
     IF hi IS NOT NULL THEN PERFORM hostops_rollup_partitions(greatest(lo, hi - 399 * ${DAY}), hi); END IF;
     PERFORM hostops_rollup_partitions(${FIRST_DAYS} - ${DAY}, ${FIRST_DAYS} + 3 * ${DAY});
     FOREACH t IN ARRAY ARRAY['ping_5m', 'ping_1h'] LOOP
       old := t || '_unpartitioned';
       EXECUTE format('INSERT INTO %I SELECT * FROM %I', t, old);
       EXECUTE format('SELECT relrowsecurity FROM pg_class WHERE oid = %L::regclass', old) INTO rls;
       IF rls THEN EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t); END IF;
       FOR pol IN SELECT policyname, permissive, roles, cmd, qual, with_check FROM pg_policies
                  WHERE schemaname = current_schema() AND tablename = old LOOP
         EXECUTE format('CREATE POLICY %I ON %I AS %s FOR %s TO %s%s%s', pol.policyname, t, pol.permissive, pol.cmd,
           (SELECT string_agg(CASE WHEN r = 'public' THEN 'PUBLIC' ELSE quote_ident(r) END, ', ') FROM unnest(pol.roles) AS r),
           CASE WHEN pol.qual IS NULL THEN '' ELSE ' USING (' || pol.qual || ')' END,
           CASE WHEN pol.with_check IS NULL THEN '' ELSE ' WITH CHECK (' || pol.with_check || ')' END);
       END LOOP;
       FOR g IN SELECT grantee, privilege_type FROM information_schema.role_table_grants
                WHERE table_schema = current_schema() AND table_name = old AND grantee <> current_user
                  AND privilege_type NOT IN ('DELETE', 'TRUNCATE') LOOP
         EXECUTE format('GRANT %s ON %I TO %s', g.privilege_type, t, CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
       END LOOP;
       -- the old indexes' names are free once their table is gone; their definitions name t
       EXECUTE format('DROP TABLE %I', old);
       EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (site, target, ts)', t);
     END LOOP;
     FOREACH def IN ARRAY defs LOOP EXECUTE def; END LOOP;
   END $$`,
];
