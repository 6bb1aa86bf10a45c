-- rule: 0b7e4a9d-3c2f-4b18-9e65-8d1a7c3f2e54
-- title: Console brute force: repeated failed sign-ins for one user
-- level: medium
-- techniques: T1110.001
-- source: rules/builtin/correlation/t1110.001-console-brute-force.yml
-- correlation: event_count over 2f8d6b1c-7a3e-4e59-8c0d-5b1a9e7f3c42, timespan 900s, group-by userIdentity.userName
WITH matched AS (
  SELECT useridentity.username AS g0, from_iso8601_timestamp(eventtime) AS ts, eventid AS event_id
  FROM cloudtrail_logs
  WHERE (((coalesce(lower(eventname) = 'consolelogin', false)) AND (coalesce(any_match(transform(coalesce(TRY_CAST(json_parse(json_query(responseelements, 'lax $."ConsoleLogin"[*]' WITH ARRAY WRAPPER)) AS array(json)), ARRAY[]), v -> CASE WHEN json_format(v) = 'null' THEN NULL ELSE coalesce(json_extract_scalar(v, '$'), json_format(v)) END), v -> lower(v) = 'failure'), false))))
), windowed AS (
  SELECT *, count(*) OVER (PARTITION BY g0 ORDER BY ts RANGE BETWEEN INTERVAL '900' SECOND PRECEDING AND CURRENT ROW) AS n FROM matched WHERE ts IS NOT NULL AND g0 IS NOT NULL
)
SELECT '0b7e4a9d-3c2f-4b18-9e65-8d1a7c3f2e54' AS rule_id, g0 AS "userIdentity.userName", min(ts) AS first_time, max(ts) AS last_time, max(n) AS count
FROM windowed
WHERE n >= 5
GROUP BY g0;
