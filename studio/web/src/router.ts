// Routes live in the URL's hash (#/notebooks/NAME), so the server needs no
// fallback for deep links and a reload opens the same page.
import { useSyncExternalStore } from 'react'

export type Route =
  | { page: 'list' }
  | { page: 'notebook'; name: string }
  | { page: 'dashboard'; query: string }
  | { page: 'missing'; path: string }

/** parseRoute reads a location hash. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/'
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts.length === 0) return { page: 'list' }
  if (parts[0] === 'notebooks' && parts.length === 2) return { page: 'notebook', name: parts[1] }
  if (parts[0] === 'dashboard' && parts.length === 2) return { page: 'dashboard', query: parts[1] }
  return { page: 'missing', path }
}

export const hrefFor = {
  list: () => '#/',
  notebook: (name: string) => `#/notebooks/${encodeURIComponent(name)}`,
  dashboard: (query: string) => `#/dashboard/${encodeURIComponent(query)}`,
}

const subscribe = (fn: () => void) => {
  window.addEventListener('hashchange', fn)
  return () => window.removeEventListener('hashchange', fn)
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => location.hash)
  return parseRoute(hash)
}
