import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldGetter, parseCidr, parseIp, requiredLiteral, tokenizePattern } from "./matchers.js";

describe("tokenizePattern", () => {
  it("splits literals and wildcards and honours escapes", () => {
    assert.deepEqual(tokenizePattern("a*b?c"), [
      { lit: "a" },
      { wild: "*" },
      { lit: "b" },
      { wild: "?" },
      { lit: "c" },
    ]);
    assert.deepEqual(tokenizePattern("a\\*b\\?c\\\\"), [{ lit: "a*b?c\\" }]);
    assert.deepEqual(tokenizePattern("C:\\Windows\\*"), [{ lit: "C:\\Windows*" }]);
  });
});

describe("fieldGetter", () => {
  it("walks nested objects and collects through arrays", () => {
    const g = fieldGetter("a.b.c");
    assert.equal(g({ a: { b: { c: 1 } } }), 1);
    assert.deepEqual(g({ a: [{ b: { c: 1 } }, { b: { c: [2, 3] } }, { x: 1 }] }), [1, 2, 3]);
    assert.equal(g({ a: { b: null } }), undefined);
    assert.equal(g({ "a.b.c": 7 }), 7);
    assert.equal(g({ a: { "b.c": 8 } }), 8);
    assert.equal(fieldGetter("x")({ x: 0 }), 0);
    assert.equal(fieldGetter("a.b")({ a: { b: 2 }, "a.b": 3 }), 2);
    assert.equal(fieldGetter("a.b")({ a: {}, "a.b": 3 }), 3);
  });
});

describe("CIDR parsing", () => {
  it("parses IPv4, IPv6 (compressed, embedded IPv4, zone) and rejects garbage", () => {
    assert.equal(parseIp("10.0.0.1")?.n, 0x0a000001n);
    assert.equal(parseIp("::1")?.n, 1n);
    assert.equal(parseIp("::ffff:1.2.3.4")?.v6, false);
    assert.equal(parseIp("fe80::1%eth0")?.v6, true);
    assert.equal(parseIp("64:ff9b::1.2.3.4")?.n, (0x64n << 112n) | (0xff9bn << 96n) | 0x01020304n);
    for (const bad of ["256.0.0.1", "1.2.3", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "AWS Internal", ""])
      assert.equal(parseIp(bad), undefined, bad);
    assert.equal(parseCidr("10.0.0.0/33"), undefined);
    assert.equal(parseCidr("10.0.0.0/8/1"), undefined);
    assert.equal(parseCidr("0.0.0.0/0")?.mask, 0n);
    assert.equal(parseCidr("10.1.2.3/8")?.base, 0x0a000000n);
  });
});

describe("requiredLiteral", () => {
  it("finds the longest literal every match must contain", () => {
    assert.equal(requiredLiteral(".+:assumed-role\\/aws:.+"), ":assumed-role/aws:");
    assert.equal(requiredLiteral("abcd?ef"), "abc");
    assert.equal(requiredLiteral("x{2,3}yz"), undefined);
    assert.equal(requiredLiteral("prefix(abc)?longer_part"), "longer_part");
    assert.equal(requiredLiteral("[abcdef]+ghi"), "ghi");
    assert.equal(requiredLiteral("abc|def"), undefined);
    assert.equal(requiredLiteral("\\d+\\.\\d+"), undefined);
    assert.equal(requiredLiteral("foo\\.bar"), "foo.bar");
  });
});
