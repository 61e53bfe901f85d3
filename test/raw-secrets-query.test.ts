/**
 * The folder a raw-secrets read names, as each Infisical client spells it: `workspaceId` (Infisical's API), `projectId`
 * (pgrotate's own clients) and `workspaceSlug` with an empty `workspaceId` (Infisical's Go SDK for a project named by
 * slug, which is how External Secrets' Infisical provider reads: `secretsScope.projectSlug`).
 */
import { folderOf } from "../runner/api/secrets";

const SHOP_PROD = { projectId: "shop", environment: "prod", secretPath: "/" };

describe("The folder of a raw-secrets query", () => {
  test.each([
    ["workspaceId (Infisical's API)", { workspaceId: "shop", environment: "prod", secretPath: "/" }],
    ["projectId", { projectId: "shop", environment: "prod", secretPath: "/" }],
    ["workspaceSlug with an empty workspaceId (Infisical's Go SDK, External Secrets)", { workspaceId: "", workspaceSlug: "shop", environment: "prod", secretPath: "/", expandSecretReferences: "true", include_imports: "true", recursive: "false" }],
    ["workspaceId with an empty workspaceSlug (Infisical's Go SDK with a project id, the Infisical operator)", { workspaceId: "shop", workspaceSlug: "", environment: "prod", secretPath: "/" }],
  ])("When the project is given as %s, then the read is of that project's folder", (_how, query) => {
    expect(folderOf(query)).toEqual(SHOP_PROD);
  });

  test("When workspaceId and workspaceSlug are both given, then they must name the same project (a project's slug is its id)", () => {
    expect(folderOf({ workspaceId: "shop", workspaceSlug: "shop", environment: "prod" })).toEqual(SHOP_PROD);
    expect(() => folderOf({ workspaceId: "shop", workspaceSlug: "other", environment: "prod" })).toThrow(/workspaceId and workspaceSlug name different projects/);
  });

  test("When no project is named at all, then the read is of the default project, and an empty one alone is refused", () => {
    expect(folderOf({ environment: "prod" })).toEqual({ ...SHOP_PROD, projectId: "default" });
    expect(() => folderOf({ workspaceId: "", workspaceSlug: "", environment: "prod" })).toThrow(/projectId must not be empty/);
    expect(() => folderOf({ workspaceId: "shop", environment: "" })).toThrow(/environment/);
  });
});
