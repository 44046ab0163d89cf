// Time is injected (style §3). Use cases take a Clock; a program bound to a test clock gets
// a clock that reads that test clock's frozen instant instead of the system's.

export interface Clock {
  now(): Date;
}

/** A clock that a test (or a test clock) sets by hand. */
export class FixedClock implements Clock {
  constructor(private instant: Date) {}
  now(): Date {
    return new Date(this.instant.getTime());
  }
  set(instant: Date): void {
    this.instant = new Date(instant.getTime());
  }
  advance(ms: number): void {
    this.instant = new Date(this.instant.getTime() + ms);
  }
}
