/** The server's sense of "now". Tests use a movable clock instead of sleeping. */
export interface Clock {
  now(): number;
  /** Moves a test clock forward; the system clock refuses. */
  advance(ms: number): void;
  readonly movable: boolean;
}

/** The server's clock: the system's, or one tests can move (--test-clock). */
export function clockFor(config: { testClock: boolean }): Clock {
  return config.testClock ? offsetClock() : systemClock();
}

export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    advance: () => {
      throw new Error("the system clock cannot be moved; start the server with --test-clock");
    },
    movable: false,
  };
}

/** Wall-clock time plus an offset that tests push forward. */
export function offsetClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms: number) => {
      offset += ms;
    },
    movable: true,
  };
}
