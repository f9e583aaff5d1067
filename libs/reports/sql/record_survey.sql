-- tether_record_survey(p_line, p_call_id, p_contact, p_score, p_scale, p_comment): a post-contact survey result
-- (SurveyService.record, POST /v1/surveys on a line app) for the contact found by its call id on this line
-- (p_call_id, voice) or by its id (p_contact, any channel, on this line), joined to the contact's agent, case and
-- customer. One survey per contact: a repeat with the same score and scale is the same survey (idempotent retries
-- of the IVR or SMS side), with another one it is refused.
-- Outcomes (outcome, survey_id, contact_id, agent_id, case_id, created_at):
--   'recorded'        written now;
--   'same'            the same score and scale were recorded before: that survey, nothing written;
--   'conflict'        a different result is recorded for the contact: that survey, nothing written;
--   'not_found'       no such contact on this line.
-- Locks: the survey's unique index on contact_id (INSERT ... ON CONFLICT DO NOTHING), nothing else.
CREATE OR REPLACE FUNCTION tether_record_survey(
  p_line text, p_call_id text, p_contact uuid, p_score int, p_scale int, p_comment text
) RETURNS TABLE (outcome text, survey_id uuid, contact_id uuid, agent_id uuid, case_id uuid, created_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
  c record;
  s surveys%ROWTYPE;
BEGIN
  IF p_contact IS NOT NULL THEN
    SELECT x.id, x.line, x.channel, x.agent_id, x.case_id, x.customer_id INTO c FROM contacts x
     WHERE x.id = p_contact AND x.line = p_line;
  ELSE
    SELECT x.id, x.line, x.channel, x.agent_id, x.case_id, x.customer_id INTO c FROM contacts x
     WHERE x.line = p_line AND x.channel = 'voice' AND x.external_id = p_call_id;
  END IF;
  IF c.id IS NULL THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid, NULL::timestamptz;
    RETURN;
  END IF;
  INSERT INTO surveys (contact_id, line, channel, agent_id, case_id, customer_id, score, scale, comment)
  VALUES (c.id, c.line, c.channel, c.agent_id, c.case_id, c.customer_id, p_score, p_scale, p_comment)
  ON CONFLICT ON CONSTRAINT surveys_contact_id_key DO NOTHING
  RETURNING * INTO s;
  IF s.id IS NOT NULL THEN
    RETURN QUERY SELECT 'recorded'::text, s.id, s.contact_id, s.agent_id, s.case_id, s.created_at;
    RETURN;
  END IF;
  SELECT * INTO s FROM surveys v WHERE v.contact_id = c.id;
  RETURN QUERY SELECT CASE WHEN s.score = p_score AND s.scale = p_scale THEN 'same' ELSE 'conflict' END,
                      s.id, s.contact_id, s.agent_id, s.case_id, s.created_at;
END
$fn$;
