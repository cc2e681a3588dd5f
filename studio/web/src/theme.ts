// Light and dark themes: the person's choice is kept; without one the
// system's preference decides (theme.js applies it before the first paint).
import { useSyncExternalStore } from 'react'

export type Theme = 'light' | 'dark'

const listeners = new Set<() => void>()

export function currentTheme(): Theme {
  return document.documentElement.classList.contains('dark') ? 'dark' : 'light'
}

export function setTheme(t: Theme): void {
  document.documentElement.classList.toggle('dark', t === 'dark')
  try {
    localStorage.setItem('velo.theme', t)
  } catch {
    /* storage disabled: the choice lasts for this page */
  }
  for (const l of listeners) l()
}

export function useTheme(): Theme {
  return useSyncExternalStore(
    (fn) => {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
    currentTheme,
  )
}
