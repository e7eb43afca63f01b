import { useRef, useState, type DragEvent } from 'react';

/**
 * Drop a checkpoint (or choose one): in the browser the file is streamed to `minerva serve`
 * (`PUT /upload`, same origin, cookie-authenticated), which stores it in the data folder and
 * answers with its path there. XHR, not fetch, because only XHR reports upload progress.
 */
export function uploadFile(file: File, onProgress: (fraction: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/upload?name=${encodeURIComponent(file.name)}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        const body = JSON.parse(xhr.responseText) as { path?: string; error?: { message?: string } };
        if (xhr.status === 201 && body.path) resolve(body.path);
        else reject(new Error(body.error?.message ?? `The upload was refused (HTTP ${xhr.status}).`));
      } catch {
        reject(new Error(`The upload was refused (HTTP ${xhr.status}).`));
      }
    };
    xhr.onerror = () => reject(new Error('The upload stopped: is minerva serve still running?'));
    xhr.send(file);
  });
}

export function DropZone({
  onFile,
  disabled,
  prompt = 'Drop a checkpoint file here',
  button = 'Choose a file…',
  inputLabel = 'Choose the file to submit',
  accept,
}: {
  onFile: (file: File) => void;
  disabled: boolean;
  prompt?: string;
  button?: string;
  inputLabel?: string;
  accept?: string;
}) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file && !disabled) onFile(file);
  };
  return (
    <div
      className={`drop-zone${over ? ' drop-zone-over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <p>{prompt}</p>
      <button type="button" className="button" disabled={disabled} onClick={() => input.current?.click()}>
        {button}
      </button>
      <input
        ref={input}
        type="file"
        className="visually-hidden"
        tabIndex={-1}
        aria-label={inputLabel}
        accept={accept}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) onFile(file);
          e.target.value = '';
        }}
      />
    </div>
  );
}
