// A background job followed until it ends. Routes that start one answer
// 202 with the job (Location: /api/v1/jobs/{id}); give that job to
// <JobProgress> and it polls GET /api/v1/jobs/{id} (more slowly as time
// goes on), shows items done of total on a progress bar, the state, and
// then the result or the error, in the person's language. Only the state
// is announced to screen readers, not every count.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, etagOf, get, type Job } from '../api';
import { t, tOpt, label, errorText } from '../i18n';
import { formatDateTime, formatInteger } from '../lib/format';
import { Badge, ErrorBox, Facts } from './ui';
import './job.css';

export const jobEnded = (j: Job | null | undefined): boolean =>
  !!j && (j.state === 'done' || j.state === 'failed' || j.state === 'dead');

/** queued after a failed attempt: waiting for the next one. */
const retrying = (j: Job) => j.state === 'queued' && j.attempts > 0 && !!j.error;

/**
 * Poll a job until it ended: {job, etag, error, follow (again, e.g. after a
 * retry), show (a job state the caller got otherwise, with its ETag)}.
 */
export function useJob(id: number, initial?: Job | null) {
  const [job, setJob] = useState<Job | null>(initial ?? null);
  const [etag, setEtag] = useState<string | null>(initial ? etagOf(initial.version) : null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    let delay = 300;
    const poll = async () => {
      try {
        const r = await get<Job>(`/api/v1/jobs/${id}`);
        if (!live) return;
        setJob(r.data);
        setEtag(r.etag);
        setError(null);
        if (jobEnded(r.data)) return;
      } catch (e) {
        if (!live) return;
        setError(e);
        // Gone, or not the person's to see: asking again will not help.
        if (e instanceof ApiError && [401, 403, 404].includes(e.status)) return;
      }
      delay = Math.min(delay * 1.5, 2000);
      timer = window.setTimeout(poll, delay);
    };
    void poll();
    return () => { live = false; if (timer !== undefined) window.clearTimeout(timer); };
  }, [id, round]);
  return {
    job, etag, error,
    follow: () => setRound((x) => x + 1),
    show: (j: Job, tag: string | null) => { setJob(j); setEtag(tag ?? etagOf(j.version)); },
  };
}

function stateKind(j: Job): 'ok' | 'off' | 'warn' | 'info' {
  if (j.state === 'done') return 'ok';
  if (j.state === 'failed' || j.state === 'dead' || retrying(j)) return 'warn';
  return 'info';
}

/** The job's state in words ("läuft", "wartet auf einen neuen Versuch" …). */
export function jobStateText(j: Job): string {
  return retrying(j) ? t('job.retrying') : label('job.state', j.state);
}

/** A field's value as text; a list by its length; null for a nested record (its screen shows it). */
function value(v: unknown): string | null {
  if (typeof v === 'number') return formatInteger(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  if (Array.isArray(v)) return formatInteger(v.length);
  return v === null || typeof v === 'object' ? null : JSON.stringify(v);
}

/** What a job produced: each field with its name where one is known. */
export function JobResult({ result }: { result: unknown }) {
  if (result === null || result === undefined) return null;
  if (typeof result !== 'object' || Array.isArray(result)) return <p>{value(result) ?? ''}</p>;
  const rows = Object.entries(result as Record<string, unknown>)
    .map(([k, v]): [string, string | null] => [tOpt(`job.result.${k}`) ?? k, value(v)])
    .filter((r): r is [string, string] => r[1] !== null);
  return rows.length ? <Facts items={rows} /> : null;
}

/** A job's state, progress bar, count, and its result or error. */
export function JobStatus({ job }: { job: Job }) {
  const id = useId();
  const { done, total } = job.progress;
  const ended = jobEnded(job);
  return (
    <div class="job-progress" data-testid="job-progress" data-state={job.state}>
      <p class="job-head">
        <span class="job-type">{label('job.type', job.type)}</span>{' '}
        <span role="status"><Badge kind={stateKind(job)}>{jobStateText(job)}</Badge></span>
      </p>
      {ended && total === 0 ? null : <div class="job-bar">
        <label id={`${id}-l`} for={`${id}-p`}>{t('job.progress')}</label>
        {total === null || (total === 0 && !ended)
          ? <progress id={`${id}-p`} aria-labelledby={`${id}-l`} />
          : <progress id={`${id}-p`} aria-labelledby={`${id}-l`} max={Math.max(total, 1)} value={total === 0 ? 1 : done} />}
        <span class="job-count">
          {total === null
            ? t('job.count', { done: formatInteger(done) })
            : t('job.count_of', { done: formatInteger(done), total: formatInteger(total) })}
        </span>
      </div>}
      {retrying(job) ? (
        <p class="small">{t('job.next_try', { time: formatDateTime(job.run_after), n: job.attempts + 1, max: job.max_attempts })}</p>
      ) : null}
      {job.state === 'done' && job.result !== null ? (
        <div class="job-result">
          <h3>{t('job.result')}</h3>
          <JobResult result={job.result} />
        </div>
      ) : null}
      {job.error && job.state !== 'done' ? (
        <div class={ended ? 'alert alert-error' : 'alert alert-warning'}>
          <p>{errorText(job.error)}</p>
        </div>
      ) : null}
    </div>
  );
}

/**
 * Follow the job a 202 answer gave: polls until it ends, then calls
 * onEnd once with the job as it ended.
 */
export function JobProgress(p: { job: Job; onEnd?: (j: Job) => void }) {
  const { job, error } = useJob(p.job.id, p.job);
  const told = useRef(false);
  useEffect(() => {
    if (job && jobEnded(job) && !told.current) {
      told.current = true;
      p.onEnd?.(job);
    }
  }, [job?.state]);
  return (
    <div class="job-follow">
      {job ? <JobStatus job={job} /> : null}
      {error && !job ? <ErrorBox error={error} /> : null}
    </div>
  );
}
