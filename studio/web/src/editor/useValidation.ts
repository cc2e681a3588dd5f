// Validation as the person types: the server's /validate, debounced, with
// stale answers dropped (only the answer for the current text counts).
import { useEffect, useState } from 'react'
import { api, errorText } from '../api/client'
import type { SqlError } from '../api/types'

export interface Validation {
  state: 'empty' | 'checking' | 'valid' | 'invalid' | 'failed'
  errors: SqlError[]
  /** Why validation itself failed (server unreachable). */
  message?: string
}

const none: SqlError[] = []

export function useValidation(sql: string, delayMs = 300): Validation {
  const [v, setV] = useState<Validation>({ state: sql.trim() ? 'checking' : 'empty', errors: none })
  useEffect(() => {
    if (!sql.trim()) {
      setV({ state: 'empty', errors: none })
      return
    }
    setV((old) => ({ ...old, state: 'checking' }))
    const ac = new AbortController()
    const t = setTimeout(() => {
      api
        .validate(sql, ac.signal)
        .then((r) => setV({ state: r.valid ? 'valid' : 'invalid', errors: r.errors?.length ? r.errors : none }))
        .catch((e) => {
          if (!ac.signal.aborted) setV({ state: 'failed', errors: none, message: errorText(e) })
        })
    }, delayMs)
    return () => {
      clearTimeout(t)
      ac.abort()
    }
  }, [sql, delayMs])
  return v
}
