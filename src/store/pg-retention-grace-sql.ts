/**
 * PostgreSQL-only, migration 10: a site that never declares its retention no longer holds back
 * retention for the fleet forever. Without the inventory's retention.* values, days are dropped
 * once every inventory site has declared (migration 9); a site added to the inventory whose agent
 * never starts (a decommissioned PoP, a typo) blocked every drop and the disk filled. Now a site
 * that has not declared holds retention back only for a grace period after it was added
 * (fleet_sites.created_at; the inventory's retention.grace, default 2 days); after it, the sites
 * that did declare decide. hostops_retention_holdouts names the sites holding it back right now.
 */
const DAY = 86400;
/** How long a new inventory site that has not declared its retention holds back dropping. */
export const RETENTION_GRACE_DEFAULT = 2 * DAY;

export const PG_RETENTION_GRACE_SQL: string[] = [
  // sites of the inventory without a declaration of column p_col (raw, five_minute, hourly) that
  // were added less than the grace ago: they may keep longer than anyone who has spoken
  `CREATE OR REPLACE FUNCTION hostops_retention_holdouts(p_col TEXT, p_now DOUBLE PRECISION)
   RETURNS TABLE (site TEXT, added_at DOUBLE PRECISION, until DOUBLE PRECISION)
   LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
   DECLARE g TEXT; grace DOUBLE PRECISION; t DOUBLE PRECISION := LEAST(p_now, extract(epoch FROM clock_timestamp()));
   BEGIN
     IF p_col NOT IN ('raw', 'five_minute', 'hourly') THEN RAISE EXCEPTION 'hostops_retention_holdouts: no column %', p_col; END IF;
     IF to_regclass('fleet_sites') IS NULL THEN RETURN; END IF;
     IF to_regclass('fleet_settings') IS NOT NULL THEN
       EXECUTE $q$SELECT value FROM fleet_settings WHERE key = 'retention.grace'$q$ INTO g;
     END IF;
     grace := COALESCE(hostops_seconds(g), ${RETENTION_GRACE_DEFAULT});
     RETURN QUERY EXECUTE format('SELECT f.name, f.created_at, f.created_at + $1 FROM fleet_sites f
       WHERE f.created_at + $1 > $2 AND NOT EXISTS (SELECT 1 FROM store_retention r WHERE r.site = f.name AND r.%I IS NOT NULL)
       ORDER BY f.name', p_col) USING grace, t;
   END $$`,
  // migration 9's two functions with the grace rule in place of "every site has declared"
  `CREATE OR REPLACE FUNCTION hostops_ping_retention(p_site TEXT, p_keep DOUBLE PRECISION, p_now DOUBLE PRECISION) RETURNS INTEGER
   LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
   DECLARE s TEXT := p_site; fleet TEXT; keep DOUBLE PRECISION; cutoff DOUBLE PRECISION; part RECORD; hi DOUBLE PRECISION; dropped INTEGER := 0; silent BIGINT;
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
     -- without the fleet's value, a site of the inventory that has not declared yet may keep longer
     -- than everyone who has: no day goes while one has not spoken and is within its grace
     IF fleet IS NULL THEN
       SELECT count(*) INTO silent FROM hostops_retention_holdouts('raw', p_now);
       IF silent > 0 THEN RETURN 0; END IF;
     END IF;
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
       -- longer than anyone who has: nothing goes while one has not spoken and is within its grace
       IF fleet IS NULL THEN
         SELECT count(*) INTO silent FROM hostops_retention_holdouts(col, p_now);
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
];
