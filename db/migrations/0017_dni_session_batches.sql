-- Several visitors' DNI steps in one statement and one commit: the node gathers the requests that
-- arrive while an earlier batch is in flight (numbers.repo's touchSession) and sends them together.
-- Each element is leadline_dni_session's arguments; `idx` says which answer is whose. Returning
-- visitors are taken in the order of their advisory lock's key, so two batches that share
-- visitors lock them in the same order and cannot wait on each other in a cycle.
CREATE OR REPLACE FUNCTION leadline_dni_sessions(p_requests jsonb)
RETURNS TABLE (
  idx integer,
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
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT e.value AS req, (e.ord - 1)::integer AS i
      FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, ord)
     ORDER BY CASE WHEN e.value->>'visitor' IS NULL THEN NULL
                   ELSE hashtextextended((e.value->>'site') || '/' || (e.value->>'visitor'), 0) END
              NULLS LAST, e.ord
  LOOP
    RETURN QUERY
      SELECT r.i, d.*
        FROM leadline_dni_session((r.req->>'site')::uuid, (r.req->>'campaign')::uuid,
                                  r.req->>'visitor', (r.req->>'newVisit')::boolean,
                                  (r.req->>'maxHold')::integer, (r.req->>'now')::timestamptz,
                                  r.req->'visit') d;
  END LOOP;
END;
$$;
