-- Which visit a call on a tracking number belongs to: the numbers feature's answer, read by the
-- statement that stores a call's first event (calls.repo's insertFirstEvent), so the voice webhook
-- needs one round trip before its answer instead of a leases read and then the insert.
--
-- The rule (ARCHITECTURE.md, "Leasing guarantees"): the leases of the number that had begun by
-- the call and ended at most p_grace_seconds before it, newest end first, are its recent holders;
-- those still running at the call are live.
--   * live leases, one visit among all recent holders, none shared: exact, that visit;
--   * live leases otherwise: ambiguous, the newest-ending exclusive live lease's visit (else the
--     live lease that began last), every recent visit a candidate;
--   * only ended leases: expired, the newest-ending one's visit, candidates when several visits;
--   * none: none.
-- Candidates are session ids, in the order their first lease comes newest-end first.
CREATE OR REPLACE FUNCTION leadline_call_visit(
  p_number_id uuid,
  p_at timestamptz,
  p_grace_seconds integer
)
RETURNS TABLE (
  confidence text,
  candidates jsonb,
  session_id uuid,
  visitor_id text,
  site_id uuid,
  landing_url text,
  landing_path text,
  referrer text,
  source text,
  medium text,
  utm_campaign text,
  utm_term text,
  gclid text,
  fbclid text,
  msclkid text,
  device text
) LANGUAGE plpgsql STABLE AS $$
DECLARE
  r record;
  v_sessions uuid[] := '{}';
  v_any boolean := false;
  v_live boolean := false;
  v_live_shared boolean := false;
  v_first uuid;
  v_first_exclusive_live uuid;
  v_latest_live uuid;
  v_latest_live_start timestamptz;
  v_confidence text;
  v_chosen uuid;
BEGIN
  FOR r IN
    SELECT l.session_id AS sid, l.shared, l.started_at, l.expires_at >= p_at AS live
    FROM number_leases l
    WHERE l.number_id = p_number_id
      AND l.started_at <= p_at
      AND l.expires_at >= p_at - make_interval(secs => p_grace_seconds)
    ORDER BY l.expires_at DESC, l.started_at DESC
    LIMIT 20
  LOOP
    IF NOT v_any THEN
      v_any := true;
      v_first := r.sid;
    END IF;
    IF NOT (r.sid = ANY (v_sessions)) THEN
      v_sessions := v_sessions || r.sid;
    END IF;
    IF r.live THEN
      v_live := true;
      v_live_shared := v_live_shared OR r.shared;
      IF NOT r.shared AND v_first_exclusive_live IS NULL THEN
        v_first_exclusive_live := r.sid;
      END IF;
      IF v_latest_live_start IS NULL OR r.started_at > v_latest_live_start THEN
        v_latest_live := r.sid;
        v_latest_live_start := r.started_at;
      END IF;
    END IF;
  END LOOP;

  IF v_live THEN
    IF cardinality(v_sessions) = 1 AND NOT v_live_shared THEN
      v_confidence := 'exact';
      v_chosen := v_first;
    ELSE
      v_confidence := 'ambiguous';
      v_chosen := coalesce(v_first_exclusive_live, v_latest_live);
    END IF;
  ELSIF v_any THEN
    v_confidence := 'expired';
    v_chosen := v_first;
  ELSE
    v_confidence := 'none';
  END IF;

  RETURN QUERY
  SELECT v_confidence,
         CASE WHEN v_confidence = 'ambiguous'
                OR (v_confidence = 'expired' AND cardinality(v_sessions) > 1)
              THEN to_jsonb(v_sessions::text[]) END,
         s.id, s.visitor_id, s.site_id, s.landing_url, s.landing_path, s.referrer, s.source,
         s.medium, s.utm_campaign, s.utm_term, s.gclid, s.fbclid, s.msclkid, s.device
  FROM (SELECT 1) one
  LEFT JOIN visitor_sessions s ON s.id = v_chosen;
END;
$$;
