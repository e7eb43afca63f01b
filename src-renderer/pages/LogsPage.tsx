import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { LOG_LEVELS, type LogLevel } from '@shared/contract/logs';
import { useStore } from '../store/store';
import { loadLogs } from '../store/actions';

/** The app's log, already redacted by core, updating live. */
export function LogsPage() {
  const entries = useStore((s) => s.logs.entries);
  const [minLevel, setMinLevel] = useState<LogLevel>('info');
  const [filter, setFilter] = useState('');
  const [follow, setFollow] = useState(true);
  const ids = { level: useId(), filter: useId(), follow: useId() };
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void loadLogs('debug');
  }, []);

  const shown = useMemo(() => {
    const min = LOG_LEVELS.indexOf(minLevel);
    const needle = filter.trim().toLowerCase();
    return entries.filter(
      (e) => LOG_LEVELS.indexOf(e.level) >= min && (needle === '' || e.msg.toLowerCase().includes(needle) || e.scope.toLowerCase().includes(needle)),
    );
  }, [entries, minLevel, filter]);

  useEffect(() => {
    if (follow && listRef.current) listRef.current.scrollTop = listRef.current.scrollHeight;
  }, [shown, follow]);

  return (
    <div className="logs-page">
      <div className="toolbar" role="group" aria-label="Log filters">
        <div className="field field-inline">
          <label htmlFor={ids.level}>Show</label>
          <select id={ids.level} value={minLevel} onChange={(e) => setMinLevel(e.target.value as LogLevel)}>
            <option value="debug">everything</option>
            <option value="info">info and above</option>
            <option value="warn">warnings and errors</option>
            <option value="error">errors only</option>
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor={ids.filter}>Filter</label>
          <input id={ids.filter} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="text or scope" />
        </div>
        <div className="field field-inline field-check">
          <input id={ids.follow} type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          <label htmlFor={ids.follow}>Follow new lines</label>
        </div>
        <span className="muted">{shown.length} lines</span>
      </div>
      <div className="log-list" ref={listRef} role="log" aria-label="Log lines" aria-live="off" tabIndex={0}>
        {shown.length === 0 ? <p className="muted pad">No log lines match.</p> : null}
        {shown.map((e) => (
          <div key={e.seq} className={`log-line log-${e.level}`}>
            <time dateTime={e.ts} className="log-time">
              {e.ts.slice(11, 19)}
            </time>
            <span className="log-level">{e.level}</span>
            <span className="log-scope">{e.scope}</span>
            <span className="log-msg">
              {e.msg}
              {e.fields ? <span className="log-fields"> {JSON.stringify(e.fields)}</span> : null}
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}
