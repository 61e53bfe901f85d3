/** setupSql() as a pure function: what it prints for each version, how it quotes, what it refuses. */
import { AppError } from "../runner/errors";
import { defaultOwner, setupSql } from "../runner/postgres/setup-sql";

describe("setupSql", () => {
  const base = { database: "app", users: ["app_user_1", "app_user_2"] as [string, string] };

  test("On 17 it grants each user to the connection role WITH ADMIN OPTION, INHERIT FALSE, SET FALSE; on 15 it relies on CREATEROLE alone", () => {
    const v17 = setupSql({ ...base, serverVersion: 17 });
    const v15 = setupSql({ ...base, serverVersion: 15 });
    for (const u of base.users) {
      expect(v17).toContain(`GRANT "${u}" TO "rotation_admin" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`);
      expect(v17).toContain(`GRANT "app_owner" TO "${u}" WITH INHERIT TRUE, SET TRUE;`);
      expect(v15).toContain(`GRANT "app_owner" TO "${u}";`);
      expect(v15).not.toContain("ADMIN OPTION");
      for (const sql of [v15, v17]) expect(sql).toContain(`ALTER ROLE "${u}" SET role = 'app_owner';`);
    }
    expect(v17).toContain('CREATE ROLE "rotation_admin" LOGIN CREATEROLE;');
    expect(v17).toContain('CREATE ROLE "app_owner" NOLOGIN;');
  });

  test("It prints no password, only psql's \\password instruction for the connection role", () => {
    const sql = setupSql(base);
    expect(sql).not.toMatch(/PASSWORD\s*'/i);
    expect(sql).toContain('--      \\password "rotation_admin"');
  });

  test("Names are quoted identifiers and literals, and a line break in a name cannot end a comment", () => {
    const hostile = 'x"; DROP ROLE postgres; --\nDROP DATABASE app; --';
    const sql = setupSql({ database: hostile, users: ["a'b", 'c"d'], owner: "O w'n\"er", connectionRole: "Rot Admin", schema: "My Schema" });
    expect(sql).toContain(`CREATE ROLE "O w'n""er" NOLOGIN;`);
    expect(sql).toContain(`CREATE ROLE "c""d" LOGIN;`);
    expect(sql).toContain(`ALTER ROLE "a'b" SET role = 'O w''n"er';`);
    expect(sql).toContain('CREATE SCHEMA IF NOT EXISTS "My Schema" AUTHORIZATION "O w\'n""er";');
    expect(sql).toContain(`GRANT CONNECT, TEMPORARY ON DATABASE "x""; DROP ROLE postgres; --\nDROP DATABASE app; --" TO "O w'n""er";`);
    // In comments the name is shown JSON-escaped: the line break stays inside the comment line.
    expect(sql.split("\n")[0]).toContain('\\nDROP DATABASE app; --');
  });

  test("When asked to grant monitoring, then it grants pg_monitor to the connection role (who uses a user gets names); by default it does not", () => {
    expect(setupSql({ ...base, grantMonitor: true })).toContain('GRANT pg_monitor TO "rotation_admin";');
    expect(setupSql(base)).not.toContain("pg_monitor");
  });

  test("The default owner is <database>_owner, cut to 63 bytes", () => {
    expect(defaultOwner("app")).toBe("app_owner");
    expect(Buffer.byteLength(defaultOwner("é".repeat(40)))).toBeLessThanOrEqual(63);
  });

  test.each([
    [{ ...base, users: ["same", "same"] }, "users.1"],
    [{ ...base, owner: "app_user_1" }, "owner"],
    [{ ...base, connectionRole: "app_user_2" }, "connectionRole"],
    [{ ...base, database: "" }, "database"],
    [{ ...base, users: ["a".repeat(64), "b"] }, "users.0"],
    [{ ...base, serverVersion: 9 }, "serverVersion"],
    [{ database: "app", users: ["app_owner", "b"] }, "owner"],
  ])("Bad options are a ValidationError naming the option (%#)", (options, path) => {
    let err: unknown;
    try {
      setupSql(options as Parameters<typeof setupSql>[0]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("ValidationError");
    expect(((err as AppError).details as Array<{ path: string }>).map((d) => d.path)).toContain(path);
  });
});
