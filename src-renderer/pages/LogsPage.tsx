import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { LOG_LEVELS, type LogLevel } from '@shared/contract/logs';
import { useStore } from '../store/store';
import { loadLogs } from '../store/actions';
import { formatClock } from '@shared/format/time';

const ALL = '*';
const NOT_PRACTICE = '!devnet';
/** The scope the practice network's parties (chain, hub, router, coordinator) log under. */
const PRACTICE_SCOPE = 'devnet';
const SCOPE_WORDS: Record<string, string> = { devnet: 'the practice network' };
const topScope = (scope: string): string => scope.split('.', 1)[0] ?? scope;

/** The app's log, already redacted by core, updating live; filtered by level, part (scope) and text. */
export function LogsPage() {
  const entries = useStore((s) => s.logs.entries);
  const [minLevel, setMinLevel] = useState<LogLevel>('info');
  const [filter, setFilter] = useState('');
  // The practice network's parties log a line per block and per job: hidden unless asked for.
  const [scope, setScope] = useState<string>(NOT_PRACTICE);
  const [follow, setFollow] = useState(true);
  const ids = { level: useId(), scope: useId(), filter: useId(), follow: useId() };
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void loadLogs('debug');
  }, []);

  // The parts of the app that wrote lines so far (the scope before its first dot), for the Scope list.
  const scopes = useMemo(() => [...new Set(entries.map((e) => topScope(e.scope)))].sort(), [entries]);
  const { shown, hidden } = useMemo(() => {
    const min = LOG_LEVELS.indexOf(minLevel);
    const needle = filter.trim().toLowerCase();
    let hiddenPractice = 0;
    const lines = entries.filter((e) => {
      if (LOG_LEVELS.indexOf(e.level) < min) return false;
      if (needle !== '' && !e.msg.toLowerCase().includes(needle) && !e.scope.toLowerCase().includes(needle)) return false;
      const top = topScope(e.scope);
      if (scope === NOT_PRACTICE && top === PRACTICE_SCOPE) {
        hiddenPractice += 1;
        return false;
      }
      return scope === ALL || scope === NOT_PRACTICE || top === scope;
    });
    return { shown: lines, hidden: hiddenPractice };
  }, [entries, minLevel, filter, scope]);

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
          <label htmlFor={ids.scope}>From</label>
          <select id={ids.scope} value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value={NOT_PRACTICE}>this app (not the practice network)</option>
            <option value={ALL}>every part, practice network too</option>
            {scopes.map((name) => (
              <option key={name} value={name}>
                {SCOPE_WORDS[name] ?? name} only
              </option>
            ))}
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
        <span className="muted" role="status">
          {shown.length} lines{hidden > 0 ? ` (${hidden} from the practice network hidden)` : ''}
        </span>
      </div>
      <div className="log-list" ref={listRef} role="log" aria-label="Log lines" aria-live="off" tabIndex={0}>
        {shown.length === 0 ? <p className="muted pad">No log lines match.</p> : null}
        {shown.map((e) => (
          <div key={e.seq} className={`log-line log-${e.level}`}>
            <time dateTime={e.ts} className="log-time">
              {formatClock(e.ts)}
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
