-- rule: 0b7e4a9d-3c2f-4b18-9e65-8d1a7c3f2e54
-- title: Console brute force: repeated failed sign-ins for one user
-- level: medium
-- techniques: T1110.001
-- source: rules/builtin/correlation/t1110.001-console-brute-force.yml
-- correlation: event_count over 2f8d6b1c-7a3e-4e59-8c0d-5b1a9e7f3c42, timespan 900s, group-by userIdentity.userName
WITH matched AS (
  SELECT json_extract_string(f_0, '$') AS g0, try_cast(json_extract_string(record, '$.eventTime') AS TIMESTAMPTZ) AS ts, json_extract_string(record, '$.eventID') AS event_id
  FROM (SELECT *, CASE WHEN __f[1] IS NOT NULL THEN __f[1] WHEN len(list_concat(coalesce(json_extract(__f[3], '$[*]."userName"'), []::JSON[]))) > 0 THEN to_json(list_concat(coalesce(json_extract(__f[3], '$[*]."userName"'), []::JSON[]))) ELSE coalesce(__f[2]) END AS f_0, __f[4] AS f_1, CASE WHEN __f[5] IS NOT NULL THEN __f[5] WHEN len(list_concat(coalesce(json_extract(__f[7], '$[*]."ConsoleLogin"'), []::JSON[]))) > 0 THEN to_json(list_concat(coalesce(json_extract(__f[7], '$[*]."ConsoleLogin"'), []::JSON[]))) ELSE coalesce(__f[6]) END AS f_2 FROM (SELECT *, json_extract(record, ['$."userIdentity"."userName"', '$."userIdentity.userName"', '$."userIdentity"', '$."eventName"', '$."responseElements"."ConsoleLogin"', '$."responseElements.ConsoleLogin"', '$."responseElements"']) AS __f FROM cloudtrail_events))
  WHERE (((coalesce(CASE WHEN json_type(f_1) = 'ARRAY' THEN list_bool_or(list_transform(json_extract_string(f_1, '$[*]'), lambda v: lower(v) = 'consolelogin')) ELSE lower(json_extract_string(f_1, '$')) = 'consolelogin' END, false)) AND (coalesce(CASE WHEN json_type(f_2) = 'ARRAY' THEN list_bool_or(list_transform(json_extract_string(f_2, '$[*]'), lambda v: lower(v) = 'failure')) ELSE lower(json_extract_string(f_2, '$')) = 'failure' END, false))))
), windowed AS (
  SELECT *, count(*) OVER (PARTITION BY g0 ORDER BY ts RANGE BETWEEN INTERVAL '900' SECOND PRECEDING AND CURRENT ROW) AS n FROM matched WHERE ts IS NOT NULL AND g0 IS NOT NULL
)
SELECT '0b7e4a9d-3c2f-4b18-9e65-8d1a7c3f2e54' AS rule_id, g0 AS "userIdentity.userName", min(ts) AS first_time, max(ts) AS last_time, max(n) AS count
FROM windowed
WHERE n >= 5
GROUP BY g0;
