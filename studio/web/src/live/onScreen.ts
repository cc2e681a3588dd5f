// Whether an element is on screen (or near it). Results off screen keep
// what they last showed: the rows still arrive and are counted, but no
// table or chart is redrawn for nobody to see.
import { useEffect, useState, type RefObject } from 'react'

export function useOnScreen(ref: RefObject<Element | null>, margin = '200px'): boolean {
  const [on, setOn] = useState(true)
  useEffect(() => {
    const el = ref.current
    if (!el || typeof IntersectionObserver === 'undefined') return
    const io = new IntersectionObserver((entries) => setOn(entries[entries.length - 1].isIntersecting), { rootMargin: margin })
    io.observe(el)
    return () => io.disconnect()
  }, [ref, margin])
  return on
}

/** useHeldWhile returns value, except that while hold is true it keeps the value it had when hold began. */
export function useHeldWhile<T>(hold: boolean, value: T): T {
  const [held, setHeld] = useState(value)
  useEffect(() => {
    if (!hold) setHeld(value)
  }, [hold, value])
  return hold ? held : value
}
