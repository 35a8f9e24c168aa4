import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import { type UIEvent, useId, useRef, useState } from "react";
import { errorFacts } from "../api/errors";

/** A problem the server found in the content, at a line (1-based) and maybe a column. */
export interface LineError {
  line: number;
  column?: number;
  message: string;
}

/**
 * Where a server error points in the content: InvalidDocumentContent names "(line 4, column 3)" for a
 * syntax error and "mainSteps[0].action (line 9): ..." for a field that is wrong. No line: [].
 */
export function lineErrorsOf(error: unknown): LineError[] {
  if (!error) return [];
  const { message } = errorFacts(error);
  const m = /\bline (\d+)(?:, column (\d+))?/i.exec(message);
  if (!m) return [];
  return [{ line: Number(m[1]), column: m[2] ? Number(m[2]) : undefined, message }];
}

const LINE_PX = 20;

/**
 * A plain-text editor for document content (YAML, JSON) with line numbers, and the server's errors
 * shown at their line: the line is marked in the gutter and behind the text, and listed under the
 * editor with a button that puts the cursor on it.
 */
export function CodeEditor({
  value,
  onChange,
  ariaLabel,
  rows = 20,
  errors = [],
}: {
  value: string;
  onChange(v: string): void;
  ariaLabel: string;
  rows?: number;
  errors?: LineError[];
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [scroll, setScroll] = useState(0);
  const listId = useId();
  const lines = Math.max(1, value.split("\n").length);
  const bad = new Map(errors.map((e) => [e.line, e]));
  const onScroll = (e: UIEvent<HTMLTextAreaElement>) => setScroll(e.currentTarget.scrollTop);
  const goTo = (line: number, column = 1) => {
    const t = area.current;
    if (!t) return;
    const starts = [0];
    for (let i = 0; i < value.length; i++) if (value[i] === "\n") starts.push(i + 1);
    const at = Math.min(value.length, (starts[line - 1] ?? value.length) + column - 1);
    t.focus();
    t.setSelectionRange(at, at);
    t.scrollTop = Math.max(0, (line - 1) * LINE_PX - t.clientHeight / 2);
    setScroll(t.scrollTop);
  };
  return (
    <div>
      <div className="openssm-editor" style={{ height: rows * LINE_PX + 12 }}>
        <div className="openssm-editor-gutter" aria-hidden="true">
          <div style={{ transform: `translateY(${-scroll}px)` }}>
            {Array.from({ length: lines }, (_, i) => {
              const n = i + 1;
              const e = bad.get(n);
              return (
                <div key={n} className={e ? "openssm-editor-gutter-error" : undefined} title={e?.message} data-testid={e ? "editor-error-line" : undefined}>
                  {e ? `! ${n}` : n}
                </div>
              );
            })}
          </div>
        </div>
        <div className="openssm-editor-body">
          {errors.map((e) => (
            <div
              key={`${e.line}:${e.column ?? 0}`}
              className="openssm-editor-line-mark"
              aria-hidden="true"
              style={{ top: 6 + (e.line - 1) * LINE_PX - scroll }}
            />
          ))}
          <textarea
            ref={area}
            className="openssm-editor-text"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            onScroll={onScroll}
            spellCheck={false}
            wrap="off"
            aria-label={ariaLabel}
            aria-invalid={errors.length > 0}
            aria-describedby={errors.length ? listId : undefined}
          />
        </div>
      </div>
      {errors.length ? (
        <div id={listId} data-testid="editor-errors">
          {errors.map((e) => (
            <Box key={`${e.line}:${e.column ?? 0}`} color="text-status-error" padding={{ top: "xs" }}>
              <strong>{`Line ${e.line}${e.column ? `, column ${e.column}` : ""}`}</strong>: {e.message}{" "}
              <Button variant="inline-link" onClick={() => goTo(e.line, e.column)} ariaLabel={`Go to line ${e.line}`}>
                Go to line
              </Button>
            </Box>
          ))}
        </div>
      ) : null}
    </div>
  );
}
