// One animation-frame scheduler for the whole page: however many live cells
// receive batches, React hears about them at most once per frame, together.

type Job = () => void

const queued = new Set<Job>()
let handle: number | undefined

const raf: (cb: () => void) => number =
  typeof requestAnimationFrame === 'function' ? (cb) => requestAnimationFrame(cb) : (cb) => setTimeout(cb, 16) as unknown as number

/** onNextFrame runs job once in the next frame, however often it is asked for before then. */
export function onNextFrame(job: Job): void {
  queued.add(job)
  if (handle === undefined) handle = raf(flushFrame)
}

/** flushFrame runs the queued jobs now (tests call it instead of waiting for a frame). */
export function flushFrame(): void {
  handle = undefined
  const jobs = [...queued]
  queued.clear()
  for (const j of jobs) j()
}
