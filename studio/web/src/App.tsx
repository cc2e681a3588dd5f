import { lazy, Suspense } from 'react'
import { hrefFor, useRoute } from './router'
import { setTheme, useTheme } from './theme'
import { NotebookList } from './components/NotebookList'
import { NotebookPage } from './components/NotebookPage'

// The dashboard page (velo run --dashboard) is its own chunk: Studio users
// never load it, and it loads the charts it needs itself.
const DashboardPage = lazy(() => import('./components/DashboardPage'))

export function App() {
  const route = useRoute()
  const theme = useTheme()
  return (
    <div className="flex min-h-full flex-col">
      <header className="sticky top-0 z-20 flex items-center gap-3 border-b border-slate-200 bg-white/90 px-4 py-2 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
        <a href={hrefFor.list()} className="flex items-center gap-2 font-semibold tracking-tight" aria-label="Velostream Studio: all notebooks">
          <span aria-hidden="true" className="inline-block h-5 w-5 rounded bg-gradient-to-br from-sky-500 to-violet-600" />
          Velostream Studio
        </a>
        <span className="flex-1" />
        <button
          type="button"
          className="btn"
          aria-label={theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'}
          aria-pressed={theme === 'dark'}
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
        >
          <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
          <span className="hidden sm:inline">{theme === 'dark' ? 'Light' : 'Dark'}</span>
        </button>
      </header>
      <main className="flex-1">
        {route.page === 'list' && <NotebookList />}
        {route.page === 'notebook' && <NotebookPage key={route.name} name={route.name} />}
        {route.page === 'dashboard' && (
          <Suspense fallback={<p className="p-6 muted">Loading the dashboard…</p>}>
            <DashboardPage queryId={route.query} />
          </Suspense>
        )}
        {route.page === 'missing' && (
          <div className="p-6">
            <h1 className="text-lg font-semibold">Nothing here</h1>
            <p className="muted">
              No page at <code>{route.path}</code>. <a className="text-sky-600 underline" href={hrefFor.list()}>All notebooks</a>
            </p>
          </div>
        )}
      </main>
    </div>
  )
}
