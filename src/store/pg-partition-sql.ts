/**
 * PostgreSQL-only schema for history that scales: the raw ping table partitioned by day on ts,
 * owner-run (SECURITY DEFINER) functions that create partitions ahead and drop whole old ones, and
 * mergeable histogram columns on the rollups. Site roles may not run DDL, so they call these.
 */

/** Histogram buckets: index floor(ln(rtt / 10 us) / ln(1.05)), i.e. 5% wide; the hourly percentiles are read off it. */
export const HIST_BASE = 1e-5;
export const HIST_RATIO = 1.05;

const PCT =
  'rtt_min DOUBLE PRECISION, rtt_p10 DOUBLE PRECISION, rtt_p25 DOUBLE PRECISION, rtt_median DOUBLE PRECISION, rtt_p75 DOUBLE PRECISION, rtt_p90 DOUBLE PRECISION, rtt_max DOUBLE PRECISION';

export const PG_PARTITION_SQL: string[] = [
  // daily partitions [from, to], named ping_pYYYYMMDD (UTC); serialised so agents starting together
  // do not race on the same name
  `CREATE OR REPLACE FUNCTION hostops_ping_partitions(p_from DOUBLE PRECISION, p_to DOUBLE PRECISION) RETURNS INTEGER
   LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
   DECLARE d BIGINT; made INTEGER := 0; pname TEXT;
   BEGIN
     IF p_from IS NULL OR p_to IS NULL OR p_to < p_from THEN RETURN 0; END IF;
     IF p_to - p_from > 400 * 86400 THEN
       RAISE EXCEPTION 'hostops_ping_partitions: % days asked for, at most 400', ceil((p_to - p_from) / 86400);
     END IF;
     PERFORM pg_advisory_xact_lock(1752134516);
     FOR d IN floor(p_from / 86400)::BIGINT .. floor(p_to / 86400)::BIGINT LOOP
       pname := 'ping_p' || to_char(to_timestamp(d * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
       IF to_regclass(pname) IS NULL THEN
         EXECUTE format('CREATE TABLE %I PARTITION OF ping FOR VALUES FROM (%s) TO (%s)', pname, d * 86400, (d + 1) * 86400);
         made := made + 1;
       END IF;
     END LOOP;
     RETURN made;
   END $$`,
  // "30d", "12h", "1w 2d" or plain seconds, as hostops.yaml and `hostops fleet retention` write them
  `CREATE OR REPLACE FUNCTION hostops_seconds(v TEXT) RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE AS $$
     SELECT CASE
       WHEN v IS NULL THEN NULL
       WHEN v ~ '^\\s*[0-9]+(\\.[0-9]+)?\\s*$' THEN v::DOUBLE PRECISION
       WHEN v ~ '^(\\s*[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h|d|w))+\\s*$' THEN (
         SELECT sum(m[1]::DOUBLE PRECISION * CASE m[2] WHEN 'ms' THEN 0.001 WHEN 's' THEN 1 WHEN 'm' THEN 60
           WHEN 'h' THEN 3600 WHEN 'd' THEN 86400 ELSE 604800 END)
         FROM regexp_matches(v, '([0-9]+(?:\\.[0-9]+)?)\\s*(ms|s|m|h|d|w)', 'g') AS m)
       ELSE NULL END $$`,
  // what each site asked for: without a fleet retention the longest one decides, so the agent
  // with the shortest retention never takes the others' history with it
  'CREATE TABLE IF NOT EXISTS store_retention (site TEXT PRIMARY KEY, raw DOUBLE PRECISION NOT NULL, declared_at DOUBLE PRECISION NOT NULL)',
  // retention by DROP of whole days: the fleet's retention.raw when set, else the longest any site
  // declared. A site role declares for its own site only (session_user), and "now" is never later
  // than the database's clock, so no caller can make it drop more than that.
  `CREATE OR REPLACE FUNCTION hostops_ping_retention(p_site TEXT, p_keep DOUBLE PRECISION, p_now DOUBLE PRECISION) RETURNS INTEGER
   LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
   DECLARE s TEXT := p_site; fleet TEXT; keep DOUBLE PRECISION; cutoff DOUBLE PRECISION; part RECORD; hi DOUBLE PRECISION; dropped INTEGER := 0;
   BEGIN
     IF NOT pg_try_advisory_xact_lock(1752134517) THEN RETURN -1; END IF;
     IF to_regclass('fleet_sites') IS NOT NULL THEN
       EXECUTE 'SELECT name FROM fleet_sites WHERE role = $1' INTO s USING session_user;
       s := COALESCE(s, p_site);
     END IF;
     IF p_keep IS NOT NULL AND p_keep > 0 THEN
       INSERT INTO store_retention (site, raw, declared_at) VALUES (s, p_keep, p_now)
         ON CONFLICT (site) DO UPDATE SET raw = excluded.raw, declared_at = excluded.declared_at;
     END IF;
     IF to_regclass('fleet_settings') IS NOT NULL THEN
       EXECUTE $q$SELECT value FROM fleet_settings WHERE key = 'retention.raw'$q$ INTO fleet;
     END IF;
     keep := COALESCE(hostops_seconds(fleet), (SELECT max(raw) FROM store_retention));
     IF keep IS NULL THEN RETURN 0; END IF;
     cutoff := LEAST(p_now, extract(epoch FROM clock_timestamp())) - keep;
     FOR part IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'ping'::regclass LOOP
       hi := (regexp_match(part.bound, 'TO \\(''?([-0-9.e+]+)''?\\)'))[1]::DOUBLE PRECISION;
       IF hi IS NOT NULL AND hi <= cutoff THEN
         EXECUTE format('DROP TABLE %I', part.relname);
         dropped := dropped + 1;
       END IF;
     END LOOP;
     RETURN dropped;
   END $$`,
  // the conversion: a new partitioned ping, every existing row copied into daily partitions, the
  // id sequence, grants, row-level security and its policies carried over; then the old table goes
  `DO $$
   DECLARE pol RECORD; g RECORD; lo DOUBLE PRECISION; hi DOUBLE PRECISION; rls BOOLEAN;
   BEGIN
     IF (SELECT relkind FROM pg_class WHERE oid = 'ping'::regclass) = 'p' THEN RETURN; END IF;
     ALTER TABLE ping RENAME TO ping_unpartitioned;
     ALTER TABLE ping_unpartitioned RENAME CONSTRAINT ping_pkey TO ping_unpartitioned_pkey;
     ALTER INDEX IF EXISTS ping_pair_ts RENAME TO ping_unpartitioned_pair_ts;
     ALTER INDEX IF EXISTS ping_ts RENAME TO ping_unpartitioned_ts;
     CREATE TABLE ping (id BIGINT NOT NULL DEFAULT nextval('ping_id_seq'), site TEXT NOT NULL, target TEXT NOT NULL,
       ts DOUBLE PRECISION NOT NULL, sent INTEGER NOT NULL, received INTEGER NOT NULL, ${PCT}, rtts TEXT NOT NULL,
       PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
     ALTER SEQUENCE ping_id_seq OWNED BY ping.id;
     CREATE INDEX ping_pair_ts ON ping (site, target, ts);
     -- the rollup job reads each site's new rows by id
     CREATE INDEX ping_site_id ON ping (site, id);
     SELECT min(ts), max(ts) INTO lo, hi FROM ping_unpartitioned;
     PERFORM hostops_ping_partitions(lo, hi);
     INSERT INTO ping SELECT * FROM ping_unpartitioned;
     SELECT relrowsecurity INTO rls FROM pg_class WHERE oid = 'ping_unpartitioned'::regclass;
     IF rls THEN ALTER TABLE ping ENABLE ROW LEVEL SECURITY; END IF;
     FOR pol IN SELECT policyname, permissive, roles, cmd, qual, with_check FROM pg_policies
                WHERE schemaname = current_schema() AND tablename = 'ping_unpartitioned' LOOP
       EXECUTE format('CREATE POLICY %I ON ping AS %s FOR %s TO %s%s%s', pol.policyname, pol.permissive, pol.cmd,
         (SELECT string_agg(CASE WHEN r = 'public' THEN 'PUBLIC' ELSE quote_ident(r) END, ', ') FROM unnest(pol.roles) AS r),
         CASE WHEN pol.qual IS NULL THEN '' ELSE ' USING (' || pol.qual || ')' END,
         CASE WHEN pol.with_check IS NULL THEN '' ELSE ' WITH CHECK (' || pol.with_check || ')' END);
     END LOOP;
     FOR g IN SELECT grantee, privilege_type FROM information_schema.role_table_grants
              WHERE table_schema = current_schema() AND table_name = 'ping_unpartitioned' AND grantee <> current_user LOOP
       EXECUTE format('GRANT %s ON ping TO %s', g.privilege_type, CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
     END LOOP;
     DROP TABLE ping_unpartitioned;
   END $$`,
  // mergeable rollup columns: count and sum of RTTs, and a sparse histogram (bucket indexes, counts)
  ...['ping_5m', 'ping_1h'].flatMap((t) => [
    `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS rtt_n INTEGER`,
    `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS rtt_sum DOUBLE PRECISION`,
    `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS hist_b INTEGER[]`,
    `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS hist_n INTEGER[]`,
  ]),
];
