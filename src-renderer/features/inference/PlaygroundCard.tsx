import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { PlaygroundAnswer } from '@shared/contract/inference';
import { Card } from '../../components/Card';
import { rpc } from '../../rpc';
import { errorText } from '../../store/actions';
import { useStore } from '../../store/store';
import { useInferenceStore } from './inference-store';
import { JobStepList } from './JobSteps';
import { formatBytes, formatMs } from './jobs-model';
import { ScrollRegion } from '../../components/ScrollRegion';
import { Term } from '../../components/Term';

/** Under the WebSocket bridge's own 60 s call limit, so that the router's timeout is the one that speaks. */
const TIMEOUT_S = 45;

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output && typeof output === 'object') {
    const o = output as Record<string, unknown>;
    if (typeof o.text === 'string') return o.text;
    if (typeof o.completion === 'string') return o.completion;
  }
  return JSON.stringify(output, null, 2);
}

/**
 * The Playground (practice network only): send a prompt through the router's completion API and
 * watch it travel through this miner. The prompt and the answer live only in this component's
 * state — never in a store, never logged — and are gone when the page is left.
 */
export function PlaygroundCard() {
  const ids = { competition: useId(), prompt: useId(), promptHelp: useId() };
  const workers = useInferenceStore((s) => s.status?.workers);
  const catalogue = useStore((s) => s.competitions.view?.competitions);
  const [competition, setCompetition] = useState('');
  const [prompt, setPrompt] = useState('');
  const [sending, setSending] = useState<number | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [answer, setAnswer] = useState<PlaygroundAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  useEffect(() => {
    if (sending === null) return undefined;
    const timer = setInterval(() => setElapsed(Date.now() - sending), 200);
    return () => clearInterval(timer);
  }, [sending]);

  const choices = (workers ?? []).map((w) => ({ id: w.competitionId, sessionId: w.sessionId, title: catalogue?.find((c) => c.id === w.competitionId)?.title ?? w.competitionId }));
  const chosen = competition || choices[0]?.id || '';

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const started = Date.now();
    setSending(started);
    setElapsed(0);
    setAnswer(null);
    setError(null);
    try {
      const result = await rpc().invoke('inference.playgroundSend', { competitionId: chosen, prompt, timeoutS: TIMEOUT_S });
      if (mounted.current) setAnswer(result);
    } catch (e) {
      if (mounted.current) setError(errorText(e));
    } finally {
      if (mounted.current) setSending(null);
    }
  };

  return (
    <Card title="Playground">
      <p className="help">
        Practice network only. Your prompt goes to the router&apos;s completion API like any caller&apos;s: the router encrypts it for session members, a miner —
        this one, when it gets the job — decrypts it in memory, runs the model and sends the answer back encrypted.
      </p>
      {choices.length === 0 ? (
        <p className="muted">
          Join the private-inference competition on the <a href="#/competitions">Competitions</a> page first: the Playground sends to its session.
        </p>
      ) : (
        <form className="inline-form" aria-label="Playground" onSubmit={(e) => void send(e)}>
          {choices.length > 1 ? (
            <div className="field">
              <label htmlFor={ids.competition}>Session</label>
              <select id={ids.competition} value={chosen} onChange={(e) => setCompetition(e.target.value)}>
                {choices.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title} — session {c.sessionId}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <div className="field">
            <label htmlFor={ids.prompt}>Prompt</label>
            <textarea
              id={ids.prompt}
              className="playground-prompt"
              rows={3}
              maxLength={8000}
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
              aria-describedby={ids.promptHelp}
              placeholder="The quick brown fox"
            />
            <p id={ids.promptHelp} className="help">
              Kept only in this window: Minerva never stores or logs it, and the router stores it encrypted.
            </p>
          </div>
          <div className="form-row">
            <button type="submit" className="button button-primary" disabled={sending !== null || prompt.trim() === ''}>
              {sending !== null ? 'Waiting for the answer…' : 'Send through the router'}
            </button>
            {answer || error ? (
              <button
                type="button"
                className="button button-quiet"
                onClick={() => {
                  setAnswer(null);
                  setError(null);
                  setPrompt('');
                }}
              >
                Clear
              </button>
            ) : null}
          </div>
          {sending !== null ? (
            <div className="playground-wait">
              <p role="status">Sent. The router is waiting for a miner to answer…</p>
              <progress className="progress" aria-label="Waiting for the answer" />
              <p className="muted" aria-hidden="true">
                {(elapsed / 1000).toFixed(1)} s
              </p>
            </div>
          ) : null}
          {error ? (
            <p role="alert" className="help help-bad">
              {error}
            </p>
          ) : null}
        </form>
      )}
      {answer ? <PlaygroundResult answer={answer} /> : null}
    </Card>
  );
}

function PlaygroundResult({ answer }: { answer: PlaygroundAnswer }) {
  const job = useInferenceStore((s) => (answer.jobRowId ? s.jobs.byId.get(answer.jobRowId) : undefined));
  // Re-render when the job moves (the index is mutated in place).
  useInferenceStore((s) => s.version);
  return (
    <div className="playground-result">
      <h3 className="playground-heading">Answer</h3>
      <p role="status" className="muted">
        Answered in {formatMs(answer.elapsedMs)} by {answer.model} · session {answer.sessionId}, task {answer.taskId}
      </p>
      <pre className="playground-output" aria-label="The decrypted answer">
        {outputText(answer.output)}
      </pre>
      {answer.usage ? (
        <p className="help">
          Usage:{' '}
          {Object.entries(answer.usage)
            .map(([k, v]) => `${k.replaceAll('_', ' ')} ${typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(', ')}
        </p>
      ) : null}
      <h3 className="playground-heading">What the router stored</h3>
      <p className="help">As the router holds it: addresses, type, key version and sizes. The content is encrypted; the router keeps nothing readable.</p>
      <ScrollRegion className="table-scroll" label="What the router stored">
        <table className="table">
          <caption className="visually-hidden">What the router stored for this completion</caption>
          <thead>
            <tr>
              <th scope="col">Payload</th>
              <th scope="col">
                <Term id="urn" />
              </th>
              <th scope="col">Type</th>
              <th scope="col">Key version</th>
              <th scope="col" className="num">
                Size
              </th>
            </tr>
          </thead>
          <tbody>
            {answer.stored.map((p) => (
              <tr key={`${p.role}-${p.urn}`}>
                <th scope="row">{p.role === 'input' ? 'Prompt' : 'Answer'}</th>
                <td className="mono">{p.urn}</td>
                <td>{p.payloadType === 'encrypted' ? 'encrypted' : 'plain'}</td>
                <td>{p.keyVersion ?? '—'}</td>
                <td className="num">{p.ciphertextBytes.toLocaleString()} bytes</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <h3 className="playground-heading">Through this miner</h3>
      {answer.jobRowId === null ? (
        <p className="muted">Another miner of the session answered this one, so this miner has no steps to show.</p>
      ) : job ? (
        <>
          <p className="muted">
            Job <span className="mono">{job.jobId.slice(0, 8)}</span>: {job.state === 'reported' ? 'reported' : job.state}
            {job.totalMs !== null ? ` in ${formatMs(job.totalMs)}` : ''}, input {formatBytes(job.inputBytes)}, result {formatBytes(job.outputBytes)}.
          </p>
          <JobStepList job={job} label="Steps of the Playground's job" />
        </>
      ) : (
        <p className="muted">This miner served it; its job appears in the list below in a moment.</p>
      )}
    </div>
  );
}
