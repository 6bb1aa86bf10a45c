import assert from "node:assert/strict";
import { test } from "node:test";
import { redactMessage, redactUrl } from "./redact.js";

test("redactUrl hides the password in userinfo (with @ inside), query parameters and key=value forms", () => {
  assert.equal(redactUrl("postgres://tt:s3cret@db:5432/tt"), "postgres://tt:***@db:5432/tt");
  assert.equal(redactUrl("postgres://tt:p@ss@word@db/tt"), "postgres://tt:***@db/tt");
  assert.equal(redactUrl("postgres://tt:p%40ss@db/tt?sslmode=require"), "postgres://tt:***@db/tt?sslmode=require");
  assert.equal(
    redactUrl("postgresql://db/tt?user=tt&password=s3cret&sslpassword=k3y&application_name=x"),
    "postgresql://db/tt?user=tt&password=***&sslpassword=***&application_name=x",
  );
  assert.equal(redactUrl("host=db user=tt password='a b' dbname=tt"), "host=db user=tt password=*** dbname=tt");
  assert.equal(redactUrl("postgres://tt@db/tt"), "postgres://tt@db/tt");
  assert.equal(redactUrl("/var/lib/techtrail.db"), "/var/lib/techtrail.db");
  for (const url of ["postgres://tt:s3cret@db/tt", "postgres://tt:p@ss@word@db/tt", "postgres://db/tt?password=s3cret"])
    assert.doesNotMatch(redactUrl(url), /s3cret|ss@word/);
});

test("redactMessage removes the password from a driver message that echoes it, decoded or not", () => {
  const url = "postgres://tt:p%40ss123@db/tt?password=other999";
  const msg = `connect to ${url} failed: password "p@ss123" rejected; other999; p%40ss123`;
  const out = redactMessage(msg, url);
  assert.doesNotMatch(out, /p@ss123|p%40ss123|other999/);
  assert.match(out, /postgres:\/\/tt:\*\*\*@db\/tt/);
});
