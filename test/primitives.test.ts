import crypto from "node:crypto";
import fc from "fast-check";
import { generatePassword, type PasswordRequirements } from "../runner/crypto/passwords";
import { Sealer } from "../runner/crypto/seal";
import { nowMs, systemClock } from "../runner/clock";
import { authorizationHash, authorizationHex } from "../runner/api/http";
import { tokenHash } from "../runner/auth/access";
import { Scrubber } from "../runner/logger";
import { scramSha256Verifier, scramSha256VerifierAsync } from "../runner/postgres/scram";
import { preparePassword } from "../runner/postgres/strategy";
import { canLogin, cluster, uniqueName, withClient } from "./helpers/pg";

describe("The hot read path's cheap primitives agree with the plain ones", () => {
  test("nowMs follows the system clock without a Date, and still asks an injected clock (tests move time with it)", () => {
    const before = Date.now();
    const t = nowMs(systemClock);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    const later = new Date("2031-01-02T03:04:05Z");
    expect(nowMs(() => later)).toBe(later.getTime());
  });

  test("A bearer header's token hash is SHA-256 of the token, in hex and as bytes; no token, no hash", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.~+/=-]{1,512}$/), fc.constantFrom("Bearer ", "bearer  ", "BEARER\t"), (token, scheme) => {
        const expected = crypto.createHash("sha256").update(token).digest();
        expect(authorizationHex(`${scheme}${token}`)).toBe(expected.toString("hex"));
        expect(authorizationHash(`${scheme}${token} `)?.equals(expected)).toBe(true);
        expect(tokenHash(token).equals(expected)).toBe(true);
      }),
    );
    expect(authorizationHex(undefined)).toBeNull();
    expect(authorizationHex("Basic abc")).toBeNull();
    expect(authorizationHex("Bearer ")).toBeNull();
  });
});

describe("Password generation", () => {
  test("Without requirements, a password is 48 alphanumeric characters, and two are never equal", () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(generatePassword()).not.toBe(a);
  });

  test("Any valid passwordRequirements is honoured: length, every required count, only allowed symbols", () => {
    fc.assert(
      fc.property(
        fc.record({ digits: fc.nat(5), lowercase: fc.nat(5), uppercase: fc.nat(5), symbols: fc.nat(5) }),
        fc.nat(40),
        fc.constantFrom("-_.~!*", "#", "!@$%^&()"),
        (required, extra, allowedSymbols) => {
          const length = Math.max(1, required.digits + required.lowercase + required.uppercase + required.symbols + extra);
          const req: PasswordRequirements = { length, required, allowedSymbols };
          const p = generatePassword(req);
          const count = (re: RegExp) => (p.match(re) ?? []).length;
          expect(p).toHaveLength(length);
          expect(count(/[0-9]/g)).toBeGreaterThanOrEqual(required.digits);
          expect(count(/[a-z]/g)).toBeGreaterThanOrEqual(required.lowercase);
          expect(count(/[A-Z]/g)).toBeGreaterThanOrEqual(required.uppercase);
          const symbols = [...p].filter((ch) => !/[A-Za-z0-9]/.test(ch));
          expect(symbols.length).toBeGreaterThanOrEqual(required.symbols);
          for (const s of symbols) expect(allowedSymbols).toContain(s);
          if (required.symbols === 0) expect(symbols).toEqual([]);
        },
      ),
    );
  });
});

describe("Sealing secrets at rest", () => {
  const sealer = new Sealer(crypto.randomBytes(32));
  test("A sealed value opens with its own associated data and never shows the plaintext", () => {
    const sealed = sealer.seal("hunter2-secret", "credential:x:0");
    expect(sealed.toString("latin1")).not.toContain("hunter2");
    expect(sealer.open(sealed, "credential:x:0")).toBe("hunter2-secret");
    expect(sealer.seal("hunter2-secret", "a").equals(sealer.seal("hunter2-secret", "a"))).toBe(false);
  });
  test("A sealed value moved to another record, or opened with another key, is refused", () => {
    const sealed = sealer.seal("pw", "credential:x:0");
    expect(() => sealer.open(sealed, "credential:x:1")).toThrow(/does not open/);
    expect(() => new Sealer(crypto.randomBytes(32)).open(sealed, "credential:x:0")).toThrow(/does not open/);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => sealer.open(tampered, "credential:x:0")).toThrow(/does not open/);
  });
});

describe("Scrubbing", () => {
  test("Known secrets, PASSWORD literals and verifiers are removed from any text", () => {
    const s = new Scrubber();
    s.remember("S3cretValue99");
    expect(s.scrub("login S3cretValue99 failed")).toBe("login [REDACTED] failed");
    expect(s.scrub("ALTER ROLE x PASSWORD 'abc''def'")).toBe("ALTER ROLE x PASSWORD '[REDACTED]'");
    expect(s.scrub(scramSha256Verifier("abcdefgh"))).toBe("[REDACTED]");
  });
});

describe("Scrubbing many known secrets", () => {
  test("Whatever the text and however many secrets are known, no known secret survives and other text is kept", () => {
    const alnum = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), minLength: 6, maxLength: 40 });
    fc.assert(
      fc.property(fc.array(alnum, { minLength: 1, maxLength: 30 }), fc.array(fc.oneof(fc.nat(29), fc.string({ maxLength: 8 })), { maxLength: 20 }), (secrets, parts) => {
        const s = new Scrubber();
        for (const x of secrets) s.remember(x);
        const text = parts.map((p) => (typeof p === "number" ? secrets[p % secrets.length] : p)).join(" ");
        const out = s.scrub(text);
        for (const x of secrets) expect(out.includes(x)).toBe(false);
        if (!secrets.some((x) => text.includes(x))) expect(out).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe("The client-computed SCRAM-SHA-256 verifier", () => {
  test("The verifier computed off the event loop equals the synchronous one for the same salt, for any printable password", async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{1,64}$/), fc.uint8Array({ minLength: 16, maxLength: 16 }), async (password, salt) => {
        expect(await scramSha256VerifierAsync(password, Buffer.from(salt), 64)).toBe(scramSha256Verifier(password, Buffer.from(salt), 64));
      }),
      { numRuns: 50 },
    );
    // A password outside printable ASCII is refused by both (SASLprep would change it).
    await expect(scramSha256VerifierAsync("naïve password")).rejects.toThrow(/printable ASCII/);
    await expect(preparePassword("naïve password").scram).rejects.toThrow(/printable ASCII/);
  });

  test("When PostgreSQL stores our verifier, then a login with the password works and a wrong one fails", async () => {
    const c = cluster();
    const user = uniqueName("scram");
    const password = generatePassword();
    await withClient(c.url(), (cl) => cl.query(`CREATE ROLE "${user}" LOGIN PASSWORD '${scramSha256Verifier(password)}'`));
    try {
      expect(await canLogin(c, "postgres", user, password)).toBe(true);
      expect(await canLogin(c, "postgres", user, password + "x")).toBe(false);
      const stored = await withClient(c.url(), async (cl) => (await cl.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [user])).rows[0].rolpassword);
      expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
    } finally {
      await withClient(c.url(), (cl) => cl.query(`DROP ROLE "${user}"`));
    }
  });
});
