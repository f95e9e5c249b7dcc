ALTER TABLE "visitor_sessions" ADD COLUMN "ip_city" text;--> statement-breakpoint
ALTER TABLE "visitor_sessions" ADD COLUMN "ip_region" text;--> statement-breakpoint
ALTER TABLE "visitor_sessions" ADD COLUMN "ip_country" text;--> statement-breakpoint
ALTER TABLE "visitor_sessions" ADD COLUMN "ip_lat" double precision;--> statement-breakpoint
ALTER TABLE "visitor_sessions" ADD COLUMN "ip_lon" double precision;--> statement-breakpoint
-- leadline_dni_session as in 0009, storing where the visitor's IP address is (city, region,
-- country, coordinates rounded to ~10 km; computed by the DNI service) on a new session.
CREATE OR REPLACE FUNCTION leadline_dni_session(
  p_site uuid,
  p_campaign uuid,
  p_visitor text,
  p_new_visit boolean,
  p_max_hold integer,
  p_now timestamptz,
  p_visit jsonb
) RETURNS TABLE (
  session_id uuid,
  visitor_id text,
  campaign_id uuid,
  hold_seconds integer,
  number_id uuid,
  e164 text,
  shared boolean,
  expires_at timestamptz,
  exhausted boolean,
  renewed boolean
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  s record;
  v_session uuid;
  v_visitor text := coalesce(p_visitor, p_visit->>'newVisitorId');
  v_campaign uuid := p_campaign;
  v_hold integer;
  v_overflow text;
  v_expires timestamptz;
  v_number uuid;
  v_e164 text;
  v_pool integer := 0;
  v_new boolean;
BEGIN
  IF p_visitor IS NOT NULL THEN
    -- One visitor's requests take turns: concurrent first visits end with one session and one
    -- lease (the later ones find the session the first one wrote). Other visitors never wait.
    PERFORM pg_advisory_xact_lock(hashtextextended(p_site::text || '/' || p_visitor, 0));
    SELECT vs.id, vs.campaign_id, vs.number_id, vs.shared, vs.last_seen_at, cc.hold_seconds
      INTO s
      FROM visitor_sessions vs JOIN campaign_lease_settings cc ON cc.campaign_id = vs.campaign_id
     WHERE vs.site_id = p_site AND vs.visitor_id = p_visitor
       AND vs.last_seen_at > p_now - make_interval(secs => p_max_hold)
     ORDER BY vs.last_seen_at DESC
     LIMIT 1;
    -- Same visit unless the visitor came back through a different campaign's source.
    IF FOUND AND s.last_seen_at + make_interval(secs => s.hold_seconds) > p_now
       AND (s.campaign_id = p_campaign OR NOT p_new_visit) THEN
      v_session := s.id;
      v_campaign := s.campaign_id;
      v_hold := s.hold_seconds;
      v_expires := p_now + make_interval(secs => v_hold);
      IF s.number_id IS NOT NULL AND s.shared THEN
        -- Shared sessions keep their number rather than jump to one freed meanwhile. The number
        -- stays busy while any shared lease shows it, so nobody gets it as exclusive meanwhile.
        UPDATE number_leases nl SET expires_at = greatest(nl.expires_at, v_expires)
         WHERE nl.id = (SELECT max(x.id) FROM number_leases x
                         WHERE x.session_id = s.id AND x.number_id = s.number_id)
           AND nl.expires_at > p_now;
        IF FOUND THEN
          UPDATE tracking_numbers t SET lease_expires_at = greatest(t.lease_expires_at, v_expires)
           WHERE t.id = s.number_id;
          UPDATE visitor_sessions vs SET last_seen_at = p_now WHERE vs.id = s.id;
          RETURN QUERY SELECT s.id, v_visitor, s.campaign_id, v_hold, t.id, t.e164, true,
                              v_expires, false, true
                         FROM tracking_numbers t WHERE t.id = s.number_id;
          RETURN;
        END IF;
      ELSIF s.number_id IS NOT NULL THEN
        -- Still ours, or lapsed but nobody took it since: keep the same number.
        UPDATE tracking_numbers t
           SET lease_expires_at = greatest(t.lease_expires_at, v_expires), lease_session_id = s.id
         WHERE t.id = s.number_id AND t.status = 'active'
           AND (t.lease_session_id = s.id OR t.lease_expires_at IS NULL OR t.lease_expires_at <= p_now)
        RETURNING t.e164 INTO v_e164;
        IF FOUND THEN
          UPDATE number_leases nl SET expires_at = greatest(nl.expires_at, v_expires)
           WHERE nl.id = (SELECT max(x.id) FROM number_leases x
                           WHERE x.session_id = s.id AND x.number_id = s.number_id)
             AND nl.expires_at > p_now;
          IF NOT FOUND THEN
            INSERT INTO number_leases (number_id, session_id, campaign_id, shared, started_at, expires_at)
            VALUES (s.number_id, s.id, s.campaign_id, false, p_now, v_expires);
          END IF;
          UPDATE visitor_sessions vs SET last_seen_at = p_now WHERE vs.id = s.id;
          RETURN QUERY SELECT s.id, v_visitor, s.campaign_id, v_hold, s.number_id, v_e164, false,
                              v_expires, false, true;
          RETURN;
        END IF;
      END IF;
    END IF;
  END IF;

  SELECT cc.hold_seconds, cc.overflow INTO v_hold, v_overflow
    FROM campaign_lease_settings cc WHERE cc.campaign_id = v_campaign;
  v_expires := p_now + make_interval(secs => v_hold);

  -- The number idle longest: never used first, then the one freed earliest. lease_expires_at is
  -- "busy until" (exclusive and shared leases alike), so free numbers are a prefix of this order
  -- and tracking_numbers_free_pick_idx finds one without reading the rest of the pool. A new
  -- session's id is chosen first so the session row is written once, already holding its number.
  v_new := v_session IS NULL;
  IF v_new THEN
    v_session := gen_random_uuid();
  END IF;
  UPDATE tracking_numbers t
     SET lease_session_id = v_session, lease_expires_at = v_expires, last_leased_at = p_now
   WHERE t.id = (SELECT x.id FROM tracking_numbers x
                  WHERE x.campaign_id = v_campaign AND x.kind = 'pool' AND x.status = 'active'
                    AND (x.lease_expires_at IS NULL OR x.lease_expires_at <= p_now)
                  ORDER BY x.lease_expires_at ASC NULLS FIRST, x.last_leased_at ASC NULLS FIRST, x.id
                  LIMIT 1
                  FOR UPDATE SKIP LOCKED)
  RETURNING t.id, t.e164 INTO v_number, v_e164;

  IF v_new THEN
    INSERT INTO visitor_sessions (
      id, site_id, campaign_id, visitor_id, landing_url, landing_path, referrer, referrer_domain,
      source, medium, utm_campaign, utm_term, utm_content, gclid, fbclid, msclkid, device,
      user_agent, ip_city, ip_region, ip_country, ip_lat, ip_lon, number_id, shared, created_at,
      last_seen_at)
    VALUES (
      v_session, p_site, v_campaign, v_visitor, p_visit->>'landingUrl', p_visit->>'landingPath',
      p_visit->>'referrer', p_visit->>'referrerDomain', p_visit->>'source', p_visit->>'medium',
      p_visit->>'utmCampaign', p_visit->>'utmTerm', p_visit->>'utmContent', p_visit->>'gclid',
      p_visit->>'fbclid', p_visit->>'msclkid', p_visit->>'device', p_visit->>'userAgent',
      p_visit->>'ipCity', p_visit->>'ipRegion', p_visit->>'ipCountry',
      (p_visit->>'ipLat')::double precision, (p_visit->>'ipLon')::double precision,
      v_number, false, p_now, p_now);
  END IF;

  IF v_number IS NOT NULL THEN
    INSERT INTO number_leases (number_id, session_id, campaign_id, shared, started_at, expires_at)
    VALUES (v_number, v_session, v_campaign, false, p_now, v_expires);
    IF NOT v_new THEN
      UPDATE visitor_sessions vs SET number_id = v_number, shared = false, last_seen_at = p_now
       WHERE vs.id = v_session;
    END IF;
    RETURN QUERY SELECT v_session, v_visitor, v_campaign, v_hold, v_number, v_e164, false,
                        v_expires, false, false;
    RETURN;
  END IF;

  SELECT count(*)::int INTO v_pool FROM tracking_numbers x
   WHERE x.campaign_id = v_campaign AND x.kind = 'pool' AND x.status = 'active';
  IF v_pool > 0 THEN
    INSERT INTO pool_exhaustion_events (campaign_id, session_id, pool_size, occurred_at)
    VALUES (v_campaign, v_session, v_pool, p_now);
    IF v_overflow = 'share_lru' THEN
      UPDATE tracking_numbers t
         SET last_leased_at = p_now, lease_expires_at = greatest(t.lease_expires_at, v_expires)
       WHERE t.id = (SELECT x.id FROM tracking_numbers x
                      WHERE x.campaign_id = v_campaign AND x.kind = 'pool' AND x.status = 'active'
                      ORDER BY x.last_leased_at ASC NULLS FIRST, x.id
                      LIMIT 1
                      FOR UPDATE SKIP LOCKED)
      RETURNING t.id, t.e164 INTO v_number, v_e164;
      IF v_number IS NOT NULL THEN
        INSERT INTO number_leases (number_id, session_id, campaign_id, shared, started_at, expires_at)
        VALUES (v_number, v_session, v_campaign, true, p_now, v_expires);
        UPDATE visitor_sessions vs SET number_id = v_number, shared = true, last_seen_at = p_now
         WHERE vs.id = v_session;
        RETURN QUERY SELECT v_session, v_visitor, v_campaign, v_hold, v_number, v_e164, true,
                            v_expires, true, false;
        RETURN;
      END IF;
    END IF;
  END IF;

  -- No pool, or overflow to the source number: the visit is kept but not individually tracked.
  UPDATE visitor_sessions vs SET last_seen_at = p_now WHERE vs.id = v_session;
  SELECT t.id, t.e164 INTO v_number, v_e164 FROM tracking_numbers t
   WHERE t.campaign_id = v_campaign AND t.kind = 'source' AND t.status = 'active'
   LIMIT 1;
  RETURN QUERY SELECT v_session, v_visitor, v_campaign, v_hold, v_number, v_e164, true,
                      v_expires, v_pool > 0, false;
END;
$$;
