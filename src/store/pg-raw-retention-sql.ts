/**
 * PostgreSQL-only, migration 9: hostops_ping_retention as migration 4 made it, plus one rule. Without
 * the inventory's retention.raw the longest retention any site declared decides; the first agent to
 * prune used to decide alone until the others had declared, so the shortest retention could drop
 * days the others keep. Now, while a site of the inventory has not declared, no day is dropped.
 */
export const PG_RAW_RETENTION_SQL: string[] = [
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
     -- than everyone who has: no day goes until every site has spoken
     IF fleet IS NULL AND to_regclass('fleet_sites') IS NOT NULL THEN
       EXECUTE 'SELECT count(*) FROM fleet_sites f WHERE NOT EXISTS (SELECT 1 FROM store_retention r WHERE r.site = f.name AND r.raw IS NOT NULL)'
         INTO silent;
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
];
