// Background jobs of the social service (job.read): the scheduled work of
// its modules, which an administrator can run now (job.admin) and follow;
// every job with its state and progress; one job followed live, and tried
// again when it failed or gave up (If-Match, conflicts shown).
import { useState } from 'preact/hooks';
import { ApiError, etagOf, post, withQuery, type Job, type JobType } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { usePagedList, useResource } from '../lib/hooks';
import { formatDateTime, formatInteger } from '../lib/format';
import { ConfirmButton, ErrorBox, Facts, PagedTable, Loading, Notice, PageTitle, SelectField } from '../components/ui';
import { JobProgress, JobStatus, jobEnded, jobStateText, useJob } from '../components/JobProgress';

const STATES = ['', 'queued', 'running', 'done', 'failed', 'dead'];

function progressText(j: Job): string {
  const { done, total } = j.progress;
  if (total === 0 && jobEnded(j)) return '–';	// nothing to count
  return total === null
    ? t('job.count', { done: formatInteger(done) })
    : t('job.count_of', { done: formatInteger(done), total: formatInteger(total) });
}

function RunNow({ onStarted }: { onStarted: () => void }) {
  const types = useResource<{ items: JobType[] }>('/api/v1/job-types');
  const [type, setType] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [started, setStarted] = useState<Job | null>(null);
  const scheduled = (types.data?.items ?? []).filter((x) => x.schedule);
  if (types.error) return <ErrorBox error={types.error} />;
  if (!types.data) return <Loading />;
  if (!scheduled.length) return null;
  const chosen = type || scheduled[0].type;

  async function run(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setStarted((await post<Job>('/api/v1/jobs', { type: chosen })).data);
      onStarted();
    } catch (x) { setError(x); } finally { setBusy(false); }
  }

  return (
    <form class="form card" onSubmit={run} noValidate aria-labelledby="jobs-run">
      <h2 id="jobs-run">{t('jobs.run_title')}</h2>
      <p class="hint">{t('jobs.run_hint')}</p>
      {error ? <ErrorBox error={error} /> : null}
      <SelectField label={t('jobs.type')} value={chosen} onChange={(v) => { setType(v); setStarted(null); }}
        options={scheduled.map((x) => ({
          value: x.type, label: `${label('job.type', x.type)} (${label('job.schedule', x.schedule ?? '')})`,
        }))} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('jobs.run')}</button>
      </div>
      {started ? <JobProgress key={started.id} job={started} onEnd={onStarted} /> : null}
    </form>
  );
}

function JobList({ state }: { state: string }) {
  const list = usePagedList<Job>(withQuery('/api/v1/jobs', { state }), 20);
  return (
    <PagedTable list={list} testid="jobs-table" caption={t('jobs.list')} pager={t('jobs.pager')} empty={t('jobs.none')}
      head={<>
        <th scope="col">{t('jobs.type')}</th>
        <th scope="col">{t('jobs.state')}</th>
        <th scope="col">{t('job.progress')}</th>
        <th scope="col">{t('jobs.attempts')}</th>
        <th scope="col">{t('jobs.created')}</th>
        <th scope="col">{t('jobs.finished')}</th>
      </>}
      row={(j) => (
        <tr key={j.id} data-job={j.id}>
          <td><a href={`#/jobs/${j.id}`}>{label('job.type', j.type)}</a>{j.key ? <span class="small"> {j.key}</span> : null}</td>
          <td>{jobStateText(j)}</td>
          <td>{progressText(j)}</td>
          <td class="num">{t('jobs.attempts_of', { n: j.attempts, max: j.max_attempts })}</td>
          <td>{formatDateTime(j.created_at)}</td>
          <td>{formatDateTime(j.finished_at)}</td>
        </tr>
      )} />
  );
}

export function Jobs() {
  const app = useApp();
  const [state, setState] = useState('');
  const [round, setRound] = useState(0);
  return (
    <section>
      <PageTitle>{t('jobs.title')}</PageTitle>
      <p>{t('jobs.intro')}</p>
      {app.can('job.admin') ? <RunNow onStarted={() => setRound((x) => x + 1)} /> : null}
      <section aria-labelledby="jobs-list">
        <h2 id="jobs-list">{t('jobs.list')}</h2>
        <SelectField label={t('jobs.filter')} value={state} onChange={setState}
          options={STATES.map((s) => ({ value: s, label: s ? label('job.state', s) : t('jobs.filter_all') }))} />
        <JobList key={`${state}-${round}`} state={state} />
      </section>
    </section>
  );
}

/** One job, followed live; a failed or dead one can be tried again. */
export function JobView({ id }: { id: string }) {
  const app = useApp();
  const { job, etag, error, follow, show } = useJob(Number(id));
  const [notice, setNotice] = useState<'job.retried' | 'job.conflict' | null>(null);
  const [actionErr, setActionErr] = useState<unknown>(null);

  async function retry() {
    setNotice(null);
    setActionErr(null);
    try {
      const r = await post<Job>(`/api/v1/jobs/${id}/retry`, undefined, { ifMatch: etag });
      show(r.data, r.etag);
      setNotice('job.retried');
      follow();
    } catch (x) {
      // Someone else acted on it first: show it as it is now.
      if (x instanceof ApiError && x.code === 'conflict' && x.current) {
        show(x.current as unknown as Job, etagOf((x.current as { version?: unknown }).version));
        setNotice('job.conflict');
        follow();
      } else setActionErr(x);
    }
  }

  return (
    <section>
      <PageTitle>{t('job.title', { id })}</PageTitle>
      <p><a href="#/jobs">{t('job.back')}</a></p>
      {error && !job ? <ErrorBox error={error} /> : null}
      {!job && !error ? <Loading /> : null}
      {notice ? <Notice kind="info">{t(notice)}</Notice> : null}
      {actionErr ? <ErrorBox error={actionErr} /> : null}
      {job ? (
        <>
          <section class="card" aria-labelledby="job-now">
            <h2 id="job-now">{t('job.now')}</h2>
            <JobStatus job={job} />
            {app.can('job.admin') && (job.state === 'failed' || job.state === 'dead') ? (
              <ConfirmButton label={t('job.retry')} question={t('job.retry_q')} confirmLabel={t('job.retry_yes')}
                onConfirm={retry} />
            ) : null}
          </section>
          <section class="card" aria-labelledby="job-facts">
            <h2 id="job-facts">{t('job.facts')}</h2>
            <Facts items={[
              [t('jobs.type'), label('job.type', job.type)],
              [t('jobs.state'), jobStateText(job)],
              [t('jobs.attempts'), t('jobs.attempts_of', { n: job.attempts, max: job.max_attempts })],
              [t('job.creator'), job.created_by === null ? t('job.scheduled')
                : job.created_by_name ?? t('job.user', { id: job.created_by })],
              [t('jobs.created'), formatDateTime(job.created_at)],
              [t('job.started'), formatDateTime(job.started_at) || '–'],
              [t('jobs.finished'), jobEnded(job) ? formatDateTime(job.finished_at) : '–'],
              ...(job.key ? [[t('job.key'), job.key] as [string, string]] : []),
              ...(job.worker ? [[t('job.worker'), job.worker] as [string, string]] : []),
            ]} />
          </section>
        </>
      ) : null}
    </section>
  );
}
