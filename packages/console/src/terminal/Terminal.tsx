import "@xterm/xterm/css/xterm.css";
import { FitAddon } from "@xterm/addon-fit";
import { Terminal as XTerm } from "@xterm/xterm";
import { useEffect, useRef } from "react";

export interface TerminalHandle {
  write(data: Uint8Array | string): void;
  focus(): void;
}

/**
 * An xterm.js terminal filling its box: calls onInput with what is typed, onResize with its size
 * (once at start, then whenever the window changes), and hands back a handle to write to it.
 */
export function Terminal({
  onReady,
  onInput,
  onResize,
}: {
  onReady(t: TerminalHandle): void;
  onInput(text: string): void;
  onResize(cols: number, rows: number): void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cb = useRef({ onReady, onInput, onResize });
  cb.current = { onReady, onInput, onResize };
  useEffect(() => {
    if (!box.current) return;
    const term = new XTerm({ cursorBlink: true, fontSize: 14, convertEol: false, scrollback: 5000, screenReaderMode: false });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current);
    fit.fit();
    term.onData((d) => cb.current.onInput(d));
    term.onResize(({ cols, rows }) => cb.current.onResize(cols, rows));
    const onWindow = () => fit.fit();
    window.addEventListener("resize", onWindow);
    cb.current.onResize(term.cols, term.rows);
    cb.current.onReady({ write: (d) => term.write(d), focus: () => term.focus() });
    term.focus();
    return () => {
      window.removeEventListener("resize", onWindow);
      term.dispose();
    };
  }, []);
  return <div ref={box} className="openssm-terminal" data-testid="terminal" />;
}
