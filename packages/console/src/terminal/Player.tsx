import "@xterm/xterm/css/xterm.css";
import Button from "@cloudscape-design/components/button";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { Terminal as XTerm } from "@xterm/xterm";
import { useEffect, useRef, useState } from "react";
import type { Asciicast } from "./asciicast";

/** Plays an asciicast's output events in xterm.js with their timing (sped up, idle gaps capped at 2 s). */
export function Player({ cast }: { cast: Asciicast }) {
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm>();
  const [speed, setSpeed] = useState("1");
  const [run, setRun] = useState(0);
  const [done, setDone] = useState(false);

  useEffect(() => {
    if (!box.current) return;
    const t = new XTerm({ cols: cast.width, rows: cast.height, disableStdin: true, fontSize: 14 });
    t.open(box.current);
    term.current = t;
    return () => t.dispose();
  }, [cast]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: run restarts the replay
  useEffect(() => {
    const t = term.current;
    if (!t) return;
    t.reset();
    setDone(false);
    const factor = Number(speed);
    let i = 0;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = () => {
      while (i < cast.events.length) {
        const e = cast.events[i];
        const gap = Math.min(2, e.at - last) / factor;
        if (gap > 0.01 && i > 0 && factor < 1000) {
          last = e.at;
          timer = setTimeout(() => {
            apply(e);
            i++;
            step();
          }, gap * 1000);
          return;
        }
        last = e.at;
        apply(e);
        i++;
      }
      setDone(true);
    };
    const apply = (e: { kind: string; data: string }) => {
      if (e.kind === "o") t.write(e.data);
      else if (e.kind === "r") {
        const m = /^(\d+)x(\d+)$/.exec(e.data);
        if (m) t.resize(Number(m[1]), Number(m[2]));
      }
    };
    step();
    return () => {
      if (timer) clearTimeout(timer);
    };
  }, [cast, run, speed]);

  return (
    <SpaceBetween size="s">
      <SpaceBetween direction="horizontal" size="s">
        <Button iconName="refresh" onClick={() => setRun((r) => r + 1)}>
          Replay
        </Button>
        <SegmentedControl
          selectedId={speed}
          onChange={(e) => setSpeed(e.detail.selectedId)}
          label="Replay speed"
          options={[
            { id: "1", text: "1x" },
            { id: "4", text: "4x" },
            { id: "100000", text: "Instant" },
          ]}
        />
        <span data-testid="replay-state">{done ? "Replay finished" : "Replaying"}</span>
      </SpaceBetween>
      <div ref={box} className="openssm-terminal" data-testid="replay" />
    </SpaceBetween>
  );
}
