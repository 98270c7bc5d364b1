// The only way the application talks to kasusd: same-origin JSON over
// fetch with the session cookie. Writes carry X-CSRF-Token (from the
// sign-in response, kept in sessionStorage so a reload keeps working; a
// new tab of the same browser takes it from GET /api/v1/me, which gives
// the session's token to the application's own pages).
// A 401 on an authenticated call means the session ended: the handler
// set with onSessionEnded shows the sign-in screen over the current page.

import type { components, paths } from './api-schema.gen';

const CSRF_KEY = 'kasus.csrf';

// ------------------------------------------- types from the API's document
// src/api-schema.gen.ts is generated at build time from kasusd's own
// openapi.json (npm run gen:api; the Makefile writes web/openapi.json with
// `kasusd openapi`), so the addresses and error codes below cannot drift.

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** A path template with each {param} as the text of any value. */
type Fill<P extends string> = P extends `${infer A}{${string}}${infer B}` ? `${A}${string}${Fill<B>}` : P;
/** Every address of the API that takes method M, with or without a query. */
export type ApiPath<M extends Method = Method> = {
  [K in keyof paths & string]: [NonNullable<paths[K][M]>] extends [never] ? never : Fill<K> | `${Fill<K>}?${string}`;
}[keyof paths & string];
type ErrorAnswers = components['responses'];
/** Every error code of the server's registry (components.x-error-codes). */
export type ServerErrorCode = {
  [K in keyof ErrorAnswers]: ErrorAnswers[K]['content']['application/json'] extends { error: { code: infer C } } ? C : never;
}[keyof ErrorAnswers];
/** The codes the application makes itself (no answer, an answer that is
 * not the API's JSON, a form it refuses before sending). */
export type ClientErrorCode = 'network' | `http_${number}` | 'form_incomplete' | 'goals_changed';


export interface ApiErrorBody {
  code: ServerErrorCode | ClientErrorCode;
  message: string;
  request_id?: string;
  detail?: unknown;
}

/** An error answer of the API (or 'network' when the server was not reached). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly detail: Record<string, unknown> | undefined;
  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.status = status;
    this.code = body.code;
    this.requestId = body.request_id;
    this.detail = body.detail && typeof body.detail === 'object'
      ? (body.detail as Record<string, unknown>) : undefined;
  }
  /** The field named by a validation error, if any. */
  get field(): string | undefined {
    const f = this.detail?.field;
    return typeof f === 'string' ? f : undefined;
  }
  /** detail.current of a 409 conflict: the record as it is now. */
  get current(): Record<string, unknown> | undefined {
    const c = this.detail?.current;
    return c && typeof c === 'object' ? (c as Record<string, unknown>) : undefined;
  }
}

export interface ApiResult<T> {
  status: number;
  data: T;
  etag: string | null;
}

export const csrf = {
  get(): string | null {
    try { return sessionStorage.getItem(CSRF_KEY); } catch { return null; }
  },
  set(token: string | null): void {
    try {
      if (token) sessionStorage.setItem(CSRF_KEY, token);
      else sessionStorage.removeItem(CSRF_KEY);
    } catch { /* storage disabled: the session lasts until reload */ }
  },
};

let sessionEnded: ((e: ApiError) => void) | null = null;
/** Called when an authenticated request answers 401. */
export function onSessionEnded(fn: (e: ApiError) => void): void {
  sessionEnded = fn;
}

export interface CallOptions {
  body?: unknown;
  ifMatch?: string | null;
  /** true: a 401 is an answer for the caller (sign-in, start-up probe). */
  anonymous?: boolean;
}

export async function call<T = unknown>(method: string, path: ApiPath, opts: CallOptions = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const write = method !== 'GET' && method !== 'HEAD';
  if (write) {
    const tok = csrf.get();
    if (tok) headers['X-CSRF-Token'] = tok;
  }
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { code: 'network', message: 'the server could not be reached' });
  }
  const text = await res.text();
  let json: unknown;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (!res.ok) {
    const eb = (json as { error?: ApiErrorBody } | undefined)?.error;
    const err = new ApiError(res.status, eb && typeof eb.code === 'string'
      ? eb : { code: `http_${res.status}`, message: res.statusText || `HTTP ${res.status}` });
    if (res.status === 401 && !opts.anonymous && sessionEnded) sessionEnded(err);
    throw err;
  }
  return { status: res.status, data: json as T, etag: res.headers.get('ETag') };
}

/** Turn a non-2xx answer (body text) into an ApiError; 401 ends the session. */
function failure(status: number, statusText: string, text: string): ApiError {
  let json: unknown;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  const eb = (json as { error?: ApiErrorBody } | undefined)?.error;
  const err = new ApiError(status, eb && typeof eb.code === 'string'
    ? eb : { code: `http_${status}`, message: statusText || `HTTP ${status}` });
  if (status === 401 && sessionEnded) sessionEnded(err);
  return err;
}

/** Progress of an upload or download: bytes done and the total (null: unknown). */
export type Progress = (done: number, total: number | null) => void;

/**
 * Send a file as the raw request body (documents, bank notifications),
 * reporting the upload's progress. XMLHttpRequest, because fetch cannot
 * report upload progress.
 */
export function upload<T>(path: ApiPath<'post'>, file: Blob, contentType: string, onProgress?: Progress): Promise<ApiResult<T>> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', path);
    x.withCredentials = true;
    x.setRequestHeader('Accept', 'application/json');
    x.setRequestHeader('Content-Type', contentType);
    const tok = csrf.get();
    if (tok) x.setRequestHeader('X-CSRF-Token', tok);
    if (onProgress) x.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : null);
    x.onerror = () => reject(new ApiError(0, { code: 'network', message: 'the server could not be reached' }));
    x.onload = () => {
      if (x.status < 200 || x.status >= 300) { reject(failure(x.status, x.statusText, x.responseText)); return; }
      let json: unknown;
      try { json = x.responseText ? JSON.parse(x.responseText) : undefined; } catch { json = undefined; }
      resolve({ status: x.status, data: json as T, etag: x.getResponseHeader('ETag') });
    };
    x.send(file);
  });
}

/** GET a file (PDF, XML, image) as a Blob, reporting the download's progress. */
export async function download(path: ApiPath<'get'>, onProgress?: Progress): Promise<{ blob: Blob; filename: string | null }> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { code: 'network', message: 'the server could not be reached' });
  }
  if (!res.ok) throw failure(res.status, res.statusText, await res.text());
  const len = Number(res.headers.get('Content-Length')) || null;
  const cd = res.headers.get('Content-Disposition') ?? '';
  const fm = /filename\*=UTF-8''([^;]+)/i.exec(cd) ?? /filename="([^"]+)"/i.exec(cd);
  let filename: string | null = null;
  if (fm) { try { filename = decodeURIComponent(fm[1]); } catch { filename = fm[1]; } }
  const type = res.headers.get('Content-Type') ?? 'application/octet-stream';
  if (!res.body) {
    const blob = await res.blob();
    onProgress?.(blob.size, blob.size);
    return { blob, filename };
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let done = 0;
  onProgress?.(0, len);
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    parts.push(r.value);
    done += r.value.length;
    onProgress?.(done, len);
  }
  return { blob: new Blob(parts as BlobPart[], { type }), filename };
}

export const get = <T>(path: ApiPath<'get'>, opts?: CallOptions) => call<T>('GET', path, opts);
export const post = <T>(path: ApiPath<'post'>, body?: unknown, opts?: CallOptions) => call<T>('POST', path, { ...opts, body });
export const patch = <T>(path: ApiPath<'patch'>, body: unknown, ifMatch: string | null) => call<T>('PATCH', path, { body, ifMatch });
export const put = <T>(path: ApiPath<'put'>, body: unknown, ifMatch?: string | null) => call<T>('PUT', path, { body, ifMatch });
export const del = <T>(path: ApiPath<'delete'>) => call<T>('DELETE', path);

/** The ETag for a record version: "<n>". */
export const etagOf = (version: unknown): string | null =>
  typeof version === 'number' ? `"${version}"` : null;

/** The type of a path with (more) query parameters: still the document's path. */
export type WithQuery<P extends string> = P extends `${string}?${string}` ? P | `${P}&${string}` : P | `${P}?${string}`;

/** A path with (more) query parameters (undefined/null/'' left out). */
export function withQuery<P extends string>(path: P, q: Record<string, string | number | null | undefined>): WithQuery<P> {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  if (!parts.length) return path as WithQuery<P>;
  return `${path}${path.includes('?') ? '&' : '?'}${parts.join('&')}` as WithQuery<P>;
}

export interface Page<T> { items: T[]; next: string | null }

// ------------------------------------------------------------ API types

export type Lang = 'de' | 'fr';

export interface Me {
  user: { id: number; username: string; display_name: string; language: Lang };
  tenant: { id: number; slug: string; name: string };
  roles: string[];
  permissions: string[];
  modules: string[];
  via_token?: boolean;
  /** A password an administrator set: nothing works until it is changed. */
  must_change_password?: boolean;
  /** The session's CSRF token (same-origin requests only). */
  csrf_token?: string | null;
}

export interface LoginAnswer {
  csrf_token: string;
  user: Me['user'];
  tenant: Me['tenant'];
  roles: string[];
  permissions: string[];
}

export interface Role {
  code: string; name_de: string; name_fr: string; canton_level: boolean; permissions: string[];
}

export interface User {
  id: number; username: string; display_name: string; email: string | null;
  language: Lang; active: boolean; version: number; roles: string[];
}

export interface Token {
  id: number; name: string; permissions: string[]; created_at: string; expires_at: string; revoked: boolean;
  /** What the token may do now: its permissions its creator still holds. */
  effective_permissions?: string[];
}

/** The canton's request for another administrator of a social service. */
export interface AdminRequest {
  id: number; username: string; display_name: string; email: string | null; language: Lang;
  reason: string; requested_by: string; requested_at: string;
  status: 'pending' | 'approved' | 'rejected'; decided_by: number | null; decided_at: string | null;
  comment: string | null; user_id: number | null; version: number;
}

export interface Tenant {
  id: number; slug: string; name: string; kind: string; language: Lang; active: boolean;
  version: number; created_at: string;
  municipalities?: { bfs: number; name: string; population: number; since: string }[];
  /** Whether it has an active administrator (another one needs its consent). */
  has_admin?: boolean;
}

export interface Municipality { bfs: number; name: string; population: number; version: number }

export interface ModuleSwitch { module: string; enabled: boolean; start_date: string | null; version: number }

export interface RulePack {
  id: number; name: string; version: string; valid_from: string; sha256: string; status: string;
  examples?: { title?: string; function: string; input: unknown; expected: unknown }[];
  author_id: number | null; approver_id: number | null; review_comment: string | null;
  imported_from: string | null; created_at: string; approved_at: string | null; row_version: number;
  source?: string;
}

export interface RuleTestResult {
  passed: number; failed: number; status: string;
  results: { index: number; function: string; ok: boolean; output?: unknown; error?: string; expected?: unknown }[];
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'dead';

/** A background job (GET /api/v1/jobs/{id}); payload and worker for job.read. */
export interface Job {
  id: number; type: string; key: string | null; state: JobState; attempts: number; max_attempts: number;
  progress: { done: number; total: number | null };
  result: unknown; error: { code: string; message: string; attempt?: number; detail?: unknown } | null;
  created_by: number | null; created_by_name: string | null; created_at: string; started_at: string | null; finished_at: string | null;
  run_after: string; version: number; payload?: unknown; worker?: string | null;
}

export interface JobType { type: string; module: string | null; schedule: string | null }
