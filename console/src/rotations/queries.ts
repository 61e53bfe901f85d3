/** Rotations in the one cache: pages of the list (paged, filtered and sorted by the runner), one rotation, its history. */
import { keepPreviousData, type QueryClient, useQuery } from "@tanstack/react-query";
import type { ApiRotation, RotationListQuery } from "../../../provider/client";
import { ROTATION_SORT_FIELDS, ROTATION_STATUSES } from "../../../runner/schemas";
import { api } from "../api";
import { keys } from "../queries";
import { eventDrivenInterval, rotationRefreshInterval } from "./live";

/** Rows a page of the Secret Rotations list. */
export const PAGE_SIZE = 50;
export const DEFAULT_SORT = "name";
export type RotationStatus = (typeof ROTATION_STATUSES)[number];
const SORTS = new Set<string>(ROTATION_SORT_FIELDS.flatMap((f) => [f, `-${f}`]));

/** What the Secret Rotations page shows, all of it in the page's query string (reload and Back keep it). */
export interface ListState {
  projectId: string;
  /** "" = every environment. */
  environment: string;
  /** "" = every path. */
  secretPath: string;
  /** Name contains ("" = any). */
  search: string;
  /** "" = any status. */
  status: RotationStatus | "";
  sort: string;
  /** 0-based (the URL's `page` is 1-based, absent on the first). */
  page: number;
}

/** The list's part of the query string (`q`, `status`, `sort`, `page`); anything unknown falls back to the default. */
export function listStateOf(query: URLSearchParams, folder: { projectId: string; environment: string; secretPath: string }): ListState {
  const status = query.get("status") ?? "";
  const sort = query.get("sort") ?? "";
  const page = Number(query.get("page") ?? "1");
  return {
    ...folder,
    search: query.get("q") ?? "",
    status: (ROTATION_STATUSES as readonly string[]).includes(status) ? (status as RotationStatus) : "",
    sort: SORTS.has(sort) ? sort : DEFAULT_SORT,
    page: Number.isInteger(page) && page > 1 ? page - 1 : 0,
  };
}

/** The request for a list state: one page of PAGE_SIZE, filters left out when empty. */
function requestOf(s: ListState): RotationListQuery {
  return {
    projectId: s.projectId,
    offset: s.page * PAGE_SIZE,
    limit: PAGE_SIZE,
    search: s.search.trim() || undefined,
    environment: s.environment || undefined,
    secretPath: s.secretPath || undefined,
    status: s.status || undefined,
    sort: s.sort,
  };
}

/** A page's key: the project, then the whole request (so invalidating keys.rotations(projectId) reaches every page). */
const pageOf = (q: RotationListQuery) => ({
  queryKey: keys.rotations(q.projectId, JSON.stringify(q)),
  // revalidate: every refresh sends If-None-Match; an unchanged page is a 304 and keeps the same data. The offset
  // asked for is kept with the page, so a page still on screen while the next loads says which one it is.
  queryFn: async () => ({ ...(await api.listRotationsPage(q, { revalidate: true })), offset: q.offset ?? 0 }),
});

/** One page of the list, refreshed on the rotation events (or every few seconds without them); the previous page stays on screen while the next one loads. */
export function useRotationPage(s: ListState) {
  return useQuery({ ...pageOf(requestOf(s)), placeholderData: keepPreviousData, refetchInterval: rotationRefreshInterval });
}

/**
 * The rotations filing secrets in one folder (the Secrets page labels its rows with them): a filtered page, never
 * the whole list. A folder with more than `limit` rotations labels the rest by id (see SecretsPage).
 */
export function useFolderRotations(folder: { projectId: string; environment: string; secretPath: string }, limit = 500) {
  const q: RotationListQuery = { projectId: folder.projectId, environment: folder.environment, secretPath: folder.secretPath, sort: DEFAULT_SORT, limit };
  return useQuery({ ...pageOf(q), refetchInterval: rotationRefreshInterval });
}

/**
 * Opening the console on the list: ask for its page at once, beside "who am I", instead of after it (the list is
 * the slow request; the page shows it as soon as both are in). A guess only when the URL names no project.
 */
export function prefetchList(client: QueryClient): void {
  if (location.pathname !== "/") return;
  const query = new URLSearchParams(location.search);
  const state = listStateOf(query, { projectId: query.get("project") ?? "default", environment: query.get("environment") ?? "", secretPath: query.get("path") ?? "" });
  void client.prefetchQuery(pageOf(requestOf(state)));
}

/** Without the rotation-status stream, how stale the list filter's environment suggestions may be. */
const ENVIRONMENTS_MAX_AGE_MS = 60_000;

/**
 * The environments of a project the session may see, whatever the list shows now (the filter's suggestions): read
 * again on every rotation event (a rotation filed under a new environment), else every minute.
 */
export function useProjectEnvironments(projectId: string) {
  return useQuery({
    queryKey: keys.projectEnvironments(projectId),
    queryFn: () => api.projectEnvironments(projectId),
    enabled: projectId !== "",
    refetchInterval: eventDrivenInterval(ENVIRONMENTS_MAX_AGE_MS),
  });
}

export function useRotation(id: string) {
  return useQuery({ queryKey: keys.rotation(id), queryFn: () => api.getRotation(id, { revalidate: true }), refetchInterval: rotationRefreshInterval });
}

export function useHistory(id: string) {
  return useQuery({ queryKey: keys.history(id), queryFn: () => api.history(id), refetchInterval: rotationRefreshInterval });
}

/** After a change: the lists, the rotation's page and its history read again. */
export function refreshRotations(client: QueryClient, changed?: ApiRotation): void {
  if (changed) client.setQueryData(keys.rotation(changed.id), changed);
  void client.invalidateQueries({ queryKey: keys.rotations() });
  void client.invalidateQueries({ queryKey: keys.rotation() });
  void client.invalidateQueries({ queryKey: keys.history() });
  void client.invalidateQueries({ queryKey: keys.secrets() });
}

/** The user whose credentials apps read now. */
export const activeUsername = (r: ApiRotation): string => (r.activeIndex === 0 ? r.parameters.username1 : r.parameters.username2);
export const inactiveUsername = (r: ApiRotation): string => (r.activeIndex === 0 ? r.parameters.username2 : r.parameters.username1);
