-- rule: 0071c57d-4313-439d-9f06-806ff6de1e6f
-- title: Console role switch failed
-- level: low
-- techniques: T1021
-- source: rules/builtin/t1021-switch-role-failed.yml
SELECT '0071c57d-4313-439d-9f06-806ff6de1e6f' AS rule_id, eventid AS event_id, eventtime AS event_time, eventsource AS event_source, eventname AS event_name, awsregion AS aws_region, sourceipaddress AS source_ip, useragent AS user_agent, errorcode AS error_code, coalesce(useridentity.arn, useridentity.sessioncontext.sessionissuer.arn) AS principal_arn, useridentity.accesskeyid AS access_key_id, coalesce(recipientaccountid, useridentity.accountid) AS account_id
FROM cloudtrail_logs
WHERE ((coalesce(lower(eventsource) = 'signin.amazonaws.com', false)) AND (coalesce(lower(eventname) = 'switchrole', false)) AND (coalesce(any_match(transform(coalesce(TRY_CAST(json_parse(json_query(responseelements, 'lax $."SwitchRole"[*]' WITH ARRAY WRAPPER)) AS array(json)), ARRAY[]), v -> CASE WHEN json_format(v) = 'null' THEN NULL ELSE coalesce(json_extract_scalar(v, '$'), json_format(v)) END), v -> lower(v) = 'failure'), false)));
