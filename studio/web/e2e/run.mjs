// Browser end-to-end tests of Velostream Studio.
//
// Starts `velo studio --demo` on a loopback port (a fresh notebook folder),
// drives Debian's chromium with playwright-core through what a person does
// (open the demo notebook, ask a question, run, break the SQL, test,
// deploy, save and reload), and measures: velo start to the first live
// chart, the notebook list's paint, and frame timing with five live cells
// at 1,000 rows/s each. Any console error or any request off loopback fails
// the run. Screenshots of every step go to e2e-results/<test>/.
//
// Environment: VELO (the velo binary, built with the UI embedded; default
// ../../bin/velo), CHROMIUM (default /usr/bin/chromium), KCAT (default
// kcat: feeds the load test's records into the demo broker), E2E_OUT
// (default e2e-results). Prints "N passed, N failed"; exits 1 on a failure.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { chromium } from 'playwright-core'

const here = fileURLToPath(new URL('.', import.meta.url))
const VELO = resolve(process.env.VELO ?? join(here, '../../../bin/velo'))
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const KCAT = process.env.KCAT ?? 'kcat'
const TEST = 'studio-demo'
const OUT = resolve(process.env.E2E_OUT ?? join(here, '..', 'e2e-results'), TEST)

// The flags the issue gives for Chromium as root on a machine with no
// network; playwright adds --headless and the fresh --user-data-dir.
const chromiumFlags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const QUESTION = 'total quantity by symbol per minute'
// A misspelt column on line 2: the binder names it there.
const BROKEN_SQL = 'SELECT symbol,\n       SUM(quantiy) AS total\nFROM trades\nGROUP BY symbol'
const BROKEN_LINE = 2

// axe-core checks the pages for accessibility problems (names, roles,
// contrast); it is evaluated through the DevTools protocol, which the
// page's CSP does not govern.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** axeViolations returns the serious and critical accessibility problems of the page. */
async function axeViolations(page) {
  await page.evaluate(axeSource)
  const v = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((x) => ({ id: x.id, impact: x.impact, help: x.help, nodes: x.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
  })
  return v.filter((x) => x.impact === 'serious' || x.impact === 'critical')
}

const results = []
const figures = {}
const consoleErrors = []
const offLoopback = []
const cleanups = []
let stepNo = 0
const failedSteps = new Set()

function log(...a) {
  console.log(...a)
}

async function cleanup() {
  while (cleanups.length) {
    const f = cleanups.pop()
    try {
      await f()
    } catch (e) {
      log(`cleanup: ${e.message}`)
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await cleanup()
    process.exit(130)
  })
}

/**
 * step runs one checked step and screenshots the page after it, pass or
 * fail. A step that needs an earlier one which failed is not run, and
 * counts as failed.
 */
async function step(page, name, fn, needs = []) {
  stepNo++
  const file = join(OUT, `${String(stepNo).padStart(2, '0')}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}.png`)
  const t0 = performance.now()
  const missing = needs.filter((n) => failedSteps.has(n) || !results.some((r) => r.name === n))
  if (missing.length) {
    failedSteps.add(name)
    results.push({ name, ok: false, error: `not run: needs ${missing.join(', ')}` })
    log(`✗ ${name}: not run (needs ${missing.join(', ')})`)
    return
  }
  try {
    const detail = await fn()
    const ms = Math.round(performance.now() - t0)
    results.push({ name, ok: true, ms, detail })
    log(`✓ ${name} (${ms} ms)${detail ? ': ' + detail : ''}`)
  } catch (e) {
    failedSteps.add(name)
    results.push({ name, ok: false, error: e.message })
    log(`✗ ${name}: ${e.message}`)
  } finally {
    await page.screenshot({ path: file, fullPage: false }).catch(() => {})
  }
}

function check(cond, msg) {
  if (!cond) throw new Error(msg)
}

const isLoopback = (u) => {
  if (u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank') return true
  try {
    const h = new URL(u).hostname
    return h === '127.0.0.1' || h === 'localhost' || h === '[::1]' || h === '::1' || /^127\./.test(h)
  } catch {
    return false
  }
}

/** startVelo runs velo studio --demo and resolves with its URL once it serves. */
async function startVelo(dir) {
  const t0 = performance.now()
  const proc = spawn(VELO, ['studio', '--addr', '127.0.0.1:0', '--dir', dir, '--demo'], { stdio: ['ignore', 'pipe', 'pipe'], detached: false })
  cleanups.push(
    () =>
      new Promise((res) => {
        if (proc.exitCode !== null) return res()
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
        proc.once('exit', () => {
          clearTimeout(t)
          res()
        })
        proc.kill('SIGTERM')
      }),
  )
  let output = ''
  const url = await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`velo studio printed no URL within 20 s; it said:\n${output}`)), 20000)
    const on = (b) => {
      output += b.toString()
      const m = /https?:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+/.exec(output)
      if (m) {
        clearTimeout(t)
        res(m[0])
      }
    }
    proc.stdout.on('data', on)
    proc.stderr.on('data', on)
    proc.once('exit', (code) => {
      clearTimeout(t)
      rej(new Error(`velo studio exited (${code}) before serving:\n${output}`))
    })
  })
  proc.stdout.on('data', (b) => (output += b.toString()))
  proc.stderr.on('data', (b) => (output += b.toString()))
  return { proc, url, t0, output: () => output }
}

/** cellAt returns a locator of the index-th cell. */
function cellAt(page, index) {
  return page.getByTestId('cell').nth(index)
}

/** chartMarks returns what the cell's chart draws now: bar paths or line points, as text. */
async function chartShape(cell) {
  return cell.evaluate((cellEl) => {
    const el = cellEl.querySelector('figure[data-chart-type]')
    if (!el) return { kind: 'none', marks: [] }
    const bars = [...el.querySelectorAll('.recharts-bar-rectangle path')].map((p) => p.getAttribute('d'))
    if (bars.length) return { kind: 'bar', marks: bars }
    const lines = [...el.querySelectorAll('.recharts-line-curve')].map((p) => p.getAttribute('d'))
    if (lines.length) return { kind: 'line', marks: lines }
    const stat = el.querySelector('[data-testid=stat], [data-testid=gauge]')
    if (stat) return { kind: 'stat', marks: [stat.textContent] }
    const canvas = el.querySelector('canvas')
    if (canvas) return { kind: 'echarts', marks: [canvas.toDataURL().length] }
    return { kind: 'none', marks: [] }
  })
}

async function waitForChart(cell, timeout) {
  const deadline = Date.now() + timeout
  for (;;) {
    const s = await chartShape(cell)
    if (s.marks.length && s.marks.some((m) => m && m !== 'M0,0')) return s
    if (Date.now() > deadline) throw new Error(`no chart drawn within ${timeout} ms (saw ${s.kind})`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** setEditorText replaces the cell's SQL by pasting, as a person would: one edit, which one Ctrl+Z undoes. */
async function setEditorText(page, cell, text) {
  await page.evaluate((t) => navigator.clipboard.writeText(t), text)
  await cell.locator('.monaco-editor .view-lines').click()
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.press('ControlOrMeta+V')
}

async function main() {
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  const notebooks = mkdtempSync(join(tmpdir(), 'velo-e2e-notebooks-'))
  const profile = mkdtempSync(join(tmpdir(), 'velo-e2e-chromium-'))
  cleanups.push(() => rmSync(notebooks, { recursive: true, force: true }))
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }))

  // The browser starts first: a person has one open already, and the
  // measure is of velo and the page.
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  })
  cleanups.push(() => ctx.close())
  const page = ctx.pages()[0] ?? (await ctx.newPage())
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url ?? ''})`)
  })
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`))
  ctx.on('request', (r) => {
    if (!isLoopback(r.url())) offLoopback.push(r.url())
  })
  page.on('websocket', (ws) => {
    if (!isLoopback(ws.url())) offLoopback.push(ws.url())
  })
  // A beforeunload prompt is accepted: the test checks what survives it.
  page.on('dialog', (d) => d.accept())

  const velo = await startVelo(notebooks)
  figures.velo_serving_ms = Math.round(performance.now() - velo.t0)
  const base = velo.url + '/'
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: velo.url })
  let demo // { name, title }
  const LIST = 'Notebook list paints'
  const OPEN = 'Open the demo notebook and see a live chart'
  const ASK = 'Ask in English in a new cell'
  const SAVE = 'Save with Ctrl+S'

  await step(page, LIST, async () => {
    await page.goto(base + '#/')
    await page.getByRole('list', { name: 'Notebooks' }).waitFor({ timeout: 10000 })
    const mark = await page.evaluate(() => performance.getEntriesByName('velo:notebooks-listed')[0]?.startTime)
    check(typeof mark === 'number', 'the list set no velo:notebooks-listed mark')
    figures.notebook_list_paint_ms = Math.round(mark)
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime)
    figures.first_contentful_paint_ms = fcp ? Math.round(fcp) : undefined
    const links = page.getByRole('list', { name: 'Notebooks' }).getByRole('link')
    check((await links.count()) >= 1, 'the demo notebook is not listed')
    const href = await links.first().getAttribute('href')
    const title = await links.first().locator('span').first().textContent()
    demo = { title, name: decodeURIComponent(href.replace(/^#\/notebooks\//, '')) }
    return `${figures.notebook_list_paint_ms} ms after navigation; demo notebook "${demo.title}"`
  })

  await step(page, OPEN, async () => {
    await page.getByRole('list', { name: 'Notebooks' }).getByRole('link', { name: new RegExp(`^${demo.title}`) }).click()
    const first = cellAt(page, 0)
    await first.waitFor()
    await first.getByRole('button', { name: /^Run / }).click()
    const shape = await waitForChart(first, 15000)
    figures.start_to_first_live_chart_ms = Math.round(performance.now() - velo.t0)
    return `${shape.kind} chart ${figures.start_to_first_live_chart_ms} ms after velo studio started (target < 3000)`
  }, [LIST])

  await step(page, 'Pause, resume and download the rows', async () => {
    const first = cellAt(page, 0)
    const state = first.getByTestId('run-state')
    await first.getByRole('button', { name: /^Pause results of / }).click()
    await page.waitForFunction((el) => el.textContent.includes('Paused'), await state.elementHandle(), { timeout: 5000 })
    await first.getByRole('button', { name: /^Resume results of / }).click()
    await page.waitForFunction((el) => el.textContent.includes('Live'), await state.elementHandle(), { timeout: 5000 })
    const got = []
    for (const kind of ['CSV', 'JSON']) {
      const dl = page.waitForEvent('download')
      await first.getByRole('button', { name: new RegExp(`as ${kind}$`) }).click()
      const d = await dl
      const text = readFileSync(await d.path(), 'utf8')
      if (kind === 'CSV') check(/^symbol,volume,window_start,window_end\r\n\w+,\d+,/.test(text), `CSV: ${text.slice(0, 120)}`)
      else check(Array.isArray(JSON.parse(text)) && JSON.parse(text)[0].symbol, `JSON: ${text.slice(0, 120)}`)
      got.push(`${d.suggestedFilename()} ${text.length} bytes`)
    }
    return got.join(', ')
  }, [OPEN])

  await step(page, 'Switch the chart type', async () => {
    const first = cellAt(page, 0)
    const select = first.getByRole('combobox', { name: /^Chart type for / })
    const seen = []
    for (const t of ['line', 'table', 'bar']) {
      await select.selectOption(t)
      await first.locator(t === 'table' ? 'figure[data-chart-type]' : `figure[data-chart-type=${t}]`).waitFor({ state: t === 'table' ? 'detached' : 'visible', timeout: 10000 })
      if (t !== 'table') await waitForChart(first, 10000)
      seen.push(t)
    }
    return seen.join(' → ')
  }, [OPEN])

  await step(page, 'A geo chart: fraud by region on the bundled US map', async () => {
    const cell = page.locator('[data-testid=cell][data-cell-name=fraud-by-region]')
    await cell.getByRole('button', { name: /^Run / }).click()
    await cell.locator('figure[data-chart-type=geo]').waitFor({ timeout: 15000 })
    await cell.getByTestId('echart-regions').scrollIntoViewIfNeeded()
    // Drawn: the canvas holds more than the empty background.
    await page.waitForFunction(
      (el) => {
        const c = el.querySelector('canvas')
        if (!c) return false
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
        let painted = 0
        for (let i = 3; i < d.length; i += 16) if (d[i] > 0) painted++
        return painted > 1000
      },
      await cell.getByTestId('echart-regions').elementHandle(),
      { timeout: 15000 },
    )
    // A region's value arrives (about one suspected fraud a second).
    await page.waitForFunction((el) => Number(el.textContent.replace(/[^\d]/g, '')) > 0, await cell.getByTestId('row-count').elementHandle(), { timeout: 20000 })
    await page.waitForTimeout(300) // the next chart redraw
    await cell.getByTestId('echart-regions').screenshot({ path: join(OUT, 'geo-fraud-by-region.png') })
    await cell.getByRole('button', { name: /^Stop / }).first().click()
    return `${await cell.getByTestId('row-count').textContent()}`
  }, [OPEN])

  await step(page, 'Completions from the server', async () => {
    await page.getByRole('button', { name: 'Add cell' }).click()
    const cell = page.getByTestId('cell').last()
    await setEditorText(page, cell, 'SELECT symbol FROM tra')
    await page.keyboard.press('End')
    await page.keyboard.press('Control+Space')
    const widget = cell.locator('.suggest-widget .monaco-list-row').first()
    await widget.waitFor({ timeout: 10000 })
    const rows = await cell.locator('.suggest-widget .monaco-list-row').allTextContents()
    check(rows.some((r) => r.includes('trades')), `suggestions: ${rows}`)
    await page.keyboard.press('Escape')
    await cell.getByRole('button', { name: /^Delete / }).click()
    await page.getByTestId('cell').filter({ has: page.locator('text=SELECT symbol FROM tra') }).waitFor({ state: 'detached' }).catch(() => {})
    return rows.slice(0, 4).join(' | ')
  }, [OPEN])

  let newCell
  let generatedSql
  await step(page, ASK, async () => {
    const before = await page.getByTestId('cell').count()
    await page.getByRole('button', { name: 'Add cell' }).click()
    await page.getByTestId('cell').nth(before).waitFor()
    newCell = page.getByTestId('cell').nth(before)
    await newCell.getByRole('textbox', { name: /^Question for / }).fill(QUESTION)
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/nl-to-sql'))
    await newCell.getByRole('button', { name: /^Ask:/ }).click()
    const body = await (await answer).json()
    check(body.sql && !body.refusal, `no SQL for "${QUESTION}": ${JSON.stringify(body.refusal ?? body)}`)
    generatedSql = body.sql
    await newCell.getByTestId('nl-answer').waitFor()
    await newCell.getByTestId('nl-answer').scrollIntoViewIfNeeded()
    await newCell.locator('[data-testid=validation][data-state=valid]').waitFor({ timeout: 10000 })
    return `${body.provider}: ${generatedSql.replace(/\s+/g, ' ')}`
  }, [OPEN])

  await step(page, 'Run it and see the bars change within 5 s', async () => {
    // Shift+Enter in the editor runs the cell.
    await newCell.locator('.monaco-editor .view-lines').click()
    await page.keyboard.press('Shift+Enter')
    await newCell.getByTestId('run-state').scrollIntoViewIfNeeded()
    const first = await waitForChart(newCell, 10000)
    check(first.kind === 'bar', `the chart is ${first.kind}, not bar`)
    const t0 = Date.now()
    for (;;) {
      const now = await chartShape(newCell)
      if (JSON.stringify(now.marks) !== JSON.stringify(first.marks)) return `bars changed after ${Date.now() - t0} ms`
      if (Date.now() - t0 > 5000) throw new Error('the bars did not change within 5 s')
      await new Promise((r) => setTimeout(r, 50))
    }
  }, [ASK])

  await step(page, 'Break the SQL and see the error marker on its line', async () => {
    const stop = newCell.getByRole('button', { name: /^Stop / }).first()
    if (await stop.isEnabled()) await stop.click()
    await setEditorText(page, newCell, BROKEN_SQL)
    const err = newCell.getByTestId('sql-error').first()
    await err.waitFor({ timeout: 10000 })
    const line = Number(await err.getAttribute('data-line'))
    check(line === BROKEN_LINE, `the error is on line ${line}, want ${BROKEN_LINE}: ${await err.textContent()}`)
    // Monaco's squiggle: its overlay row sits at the same height as the
    // view line holding the misspelt name.
    await newCell.locator('.squiggly-error').first().waitFor({ timeout: 5000 })
    const where = await newCell.evaluate((el) => {
      const sq = el.querySelector('.squiggly-error')
      const row = sq?.closest('.view-overlays > div')
      const lines = [...el.querySelectorAll('.view-lines .view-line')]
      const bad = lines.find((l) => l.textContent.includes('quantiy'))
      return { squiggle: row ? row.style.top : null, line: bad ? bad.style.top : null }
    })
    check(where.squiggle !== null && where.squiggle === where.line, `the squiggle is at ${where.squiggle}, the broken line at ${where.line}`)
    return `${await err.textContent()}`
  }, [ASK])

  await step(page, 'Undo brings the valid SQL back', async () => {
    await newCell.locator('.monaco-editor .view-lines').click()
    await page.keyboard.press('ControlOrMeta+Z')
    await newCell.locator('[data-testid=validation][data-state=valid]').waitFor({ timeout: 10000 })
  }, ['Break the SQL and see the error marker on its line'])

  await step(page, 'Test a cell and see the assertions', async () => {
    const cell = cellAt(page, 0)
    await cell.getByRole('button', { name: /^Test / }).click()
    const report = cell.getByTestId('test-report')
    await report.waitFor({ timeout: 30000 })
    const headline = await report.getByTestId('test-headline').textContent()
    const n = await report.getByTestId('assertion').count()
    check(n > 0, 'the report lists no assertions')
    check(/^(✅ Passed|❌ Failed) \(\d+\/\d+ assertions\)$/.test(headline), `headline ${headline}`)
    await report.scrollIntoViewIfNeeded()
    const marks = await report.getByTestId('assertion').allTextContents()
    check(marks.every((t) => /^[✓✗] /.test(t)), `assertions without ✓/✗: ${marks}`)
    // Add assertion, then test again: one more assertion in the report.
    await report.getByRole('button', { name: '+ Add assertion' }).click()
    await report.getByRole('combobox').selectOption('field_values')
    await report.getByRole('textbox').fill('volume > 0')
    await report.getByRole('button', { name: 'Add', exact: true }).click()
    await report.getByRole('button', { name: /^Re-run the tests of / }).click()
    await page.waitForFunction(
      ([el, n]) => el.querySelectorAll('[data-testid=assertion]').length === n,
      [await report.elementHandle(), n + 1],
      { timeout: 30000 },
    )
    const after = await report.getByTestId('test-headline').textContent()
    return `${headline}; ${marks.join(' | ')}; after adding field_values volume > 0: ${after}`
  }, [OPEN])

  await step(page, SAVE, async () => {
    await newCell.locator('.monaco-editor .view-lines').click()
    await page.keyboard.press('ControlOrMeta+S')
    await page.locator('[data-testid=save-state][data-dirty=false]').waitFor({ timeout: 10000 })
  }, ['Undo brings the valid SQL back'])

  await step(page, 'Deploy dry run shows the objects', async () => {
    const cell = cellAt(page, 0)
    await cell.getByRole('button', { name: /^Deploy / }).click()
    const summary = cell.getByTestId('deploy-summary')
    await summary.waitFor({ timeout: 20000 })
    const lines = await summary.getByTestId('deploy-lines').locator('li').allTextContents()
    check(lines.some((l) => /\d+ streaming SQL jobs?/.test(l)), `summary: ${lines}`)
    await summary.locator('summary').first().click()
    await summary.scrollIntoViewIfNeeded()
    const objects = await summary.getByTestId('deploy-object').allTextContents()
    check(objects.some((o) => o.startsWith('StreamingQuery') || o.startsWith('Notebook')), `objects: ${objects}`)
    // Local mode (no cluster): no Deploy button, the YAML to apply instead.
    check((await summary.getByRole('button', { name: /^Deploy →/ }).count()) === 0, 'a Deploy button without a cluster')
    const dl = page.waitForEvent('download')
    await summary.getByRole('button', { name: 'Download YAML' }).click()
    const yaml = readFileSync(await (await dl).path(), 'utf8')
    check(/kind: (Notebook|StreamingQuery)/.test(yaml), `YAML: ${yaml.slice(0, 200)}`)
    return `${lines.join('; ')}; objects: ${objects.length}; YAML ${yaml.length} bytes`
  }, [SAVE])

  await step(page, 'Reload: the notebook is as saved', async () => {
    const count = await page.getByTestId('cell').count()
    await page.reload()
    await page.getByTestId('cell').nth(count - 1).waitFor({ timeout: 10000 })
    check((await page.getByTestId('cell').count()) === count, 'the number of cells changed')
    const last = page.getByTestId('cell').nth(count - 1)
    check((await last.getByRole('textbox', { name: /^Question for / }).inputValue()) === QUESTION, 'the question was not kept')
    await last.locator('[data-testid=validation][data-state=valid]').waitFor({ timeout: 10000 })
    const text = await last.locator('.monaco-editor .view-lines').innerText()
    const norm = (s) => s.replace(/\s+/g, ' ').trim()
    check(norm(text) === norm(generatedSql), `the SQL changed:\n${text}\nwant:\n${generatedSql}`)
    check((await page.locator('[data-testid=save-state][data-dirty=false]').count()) === 1, 'reloaded as unsaved')
  }, [SAVE])

  await step(page, 'An unsaved edit survives a reload as a draft', async () => {
    const last = page.getByTestId('cell').last()
    await last.getByRole('textbox', { name: /^Question for / }).fill(QUESTION + ' (draft)')
    await page.locator('[data-testid=save-state][data-dirty=true]').waitFor()
    await page.reload()
    await page.getByRole('button', { name: 'Restore them' }).click()
    const q = await page.getByTestId('cell').last().getByRole('textbox', { name: /^Question for / }).inputValue()
    check(q === QUESTION + ' (draft)', `restored question: ${q}`)
    await page.locator('[data-testid=save-state][data-dirty=true]').waitFor()
  }, ['Reload: the notebook is as saved'])

  await step(page, 'Narrow window and dark theme', async () => {
    await page.setViewportSize({ width: 390, height: 800 })
    await page.getByRole('button', { name: /Switch to the (dark|light) theme/ }).click()
    const dark = await page.evaluate(() => document.documentElement.classList.contains('dark'))
    check(dark, 'the dark theme did not apply')
    // Editors and charts follow the new width on their next layout pass.
    const fits = await page
      .waitForFunction(() => document.documentElement.scrollWidth - document.documentElement.clientWidth <= 1, null, { timeout: 3000 })
      .then(() => true)
      .catch(() => false)
    if (!fits) {
      const wide = await page.evaluate(() => {
        const w = document.documentElement.clientWidth
        return [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > w + 1)
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].slice(0, 3).join('.')} right=${Math.round(e.getBoundingClientRect().right)}`)
      })
      throw new Error(`the page scrolls sideways at 390px: ${wide.join('; ')}`)
    }
    await page.screenshot({ path: join(OUT, 'narrow-390px-dark.png') })
    await page.setViewportSize({ width: 1280, height: 800 })
  }, [OPEN])

  await step(page, 'Five live cells at 1,000 rows/s each: frame timing', async () => {
    const info = await page.evaluate(() => fetch('api/v1/info').then((r) => r.json()))
    check(info.kafka, 'the Studio reports no Kafka broker')
    figures.load = await loadTest(page, info.kafka)
    const f = figures.load
    const fr = (m) => `${m.fps} fps, frames p50 ${m.p50} / p95 ${m.p95} / p99 ${m.p99} / max ${m.max} ms, ${m.long_tasks} long tasks (${m.long_task_ms} ms)`
    return `${f.cells} cells, ${f.rows_per_sec_per_cell.join('/')} rows/s per cell; in view at 1280x800: ${fr(f.in_view_1280x800)}; all five on screen: ${fr(f.all_five_on_screen)}`
  }, [OPEN])

  await step(page, 'The dashboard page shows one live query', async () => {
    // The page velo run --dashboard opens, here for a query the Studio runs.
    const id = await page.evaluate(async () => {
      const r = await fetch('api/v1/queries', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol' }),
      })
      return (await r.json()).id
    })
    await page.goto(base + '#/dashboard/' + id)
    const main = page.locator('main')
    const shape = await waitForChart(main, 10000)
    check(shape.kind === 'bar', `the dashboard drew ${shape.kind}`)
    const n0 = Number((await main.getByTestId('row-count').textContent()).replace(/[^\d]/g, ''))
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=row-count]').textContent.replace(/[^\d]/g, '')) > n, n0, { timeout: 5000 })
    return `query ${id}: bar chart, rows growing past ${n0}`
  }, [LIST])

  await step(page, 'Accessibility: no serious axe violations (list, notebook, light and dark)', async () => {
    const found = []
    await page.goto(base + '#/')
    await page.getByRole('list', { name: 'Notebooks' }).waitFor()
    for (const dark of [false, true]) {
      await page.evaluate((d) => document.documentElement.classList.toggle('dark', d), dark)
      found.push(...(await axeViolations(page)).map((v) => ({ page: 'list', dark, ...v })))
    }
    await page.getByRole('list', { name: 'Notebooks' }).getByRole('link', { name: new RegExp(`^${demo.title}`) }).click()
    const first = cellAt(page, 0)
    await first.getByRole('button', { name: /^Run / }).click()
    await waitForChart(first, 10000)
    for (const dark of [false, true]) {
      await page.evaluate((d) => document.documentElement.classList.toggle('dark', d), dark)
      found.push(...(await axeViolations(page)).map((v) => ({ page: 'notebook', dark, ...v })))
    }
    check(found.length === 0, `axe: ${JSON.stringify(found, null, 1)}`)
  }, [OPEN])

  await step(page, 'No console errors', async () => {
    check(consoleErrors.length === 0, `console errors:\n${consoleErrors.join('\n')}`)
  })
  await step(page, 'No request off loopback', async () => {
    check(offLoopback.length === 0, `requests off loopback:\n${offLoopback.join('\n')}`)
  })
  return velo
}

/**
 * loadTest feeds the trades topic at 1,000 records/s more than the demo
 * does (kcat reading JSON lines from us), runs SELECT * FROM trades in five
 * new cells, and records frame intervals and long tasks for 5 s.
 */
async function loadTest(page, bootstrap) {
  const cells = 5
  const rate = 1000
  const kcat = spawn(KCAT, ['-P', '-b', bootstrap, '-t', 'trades', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'pipe'] })
  let kcatErr = ''
  kcat.stderr.on('data', (b) => (kcatErr += b))
  const stopKcat = () => {
    if (kcat.exitCode === null) kcat.kill('SIGTERM')
  }
  cleanups.push(stopKcat)
  const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'TSLA', 'NVDA', 'META']
  let sent = 0
  const started = Date.now()
  const feed = setInterval(() => {
    const owed = Math.floor(((Date.now() - started) * rate) / 1000) - sent
    let batch = ''
    for (let i = 0; i < owed; i++) {
      const n = sent + i
      batch +=
        JSON.stringify({
          symbol: symbols[n % symbols.length],
          price: 100 + (n % 500) / 10,
          quantity: 1 + (n % 100),
          side: n % 2 ? 'BUY' : 'SELL',
          venue: 'NASDAQ',
          customer_id: `CUST${String(n % 500).padStart(3, '0')}`,
          ts: new Date().toISOString(),
        }) + '\n'
    }
    sent += owed
    if (batch) kcat.stdin.write(batch)
  }, 20)
  try {
    const first = await page.getByTestId('cell').count()
    for (let i = 0; i < cells; i++) {
      await page.getByRole('button', { name: 'Add cell' }).click()
      const cell = page.getByTestId('cell').nth(first + i)
      await cell.waitFor()
      await setEditorText(page, cell, 'SELECT * FROM trades')
      await cell.locator('[data-testid=validation][data-state=valid]').waitFor({ timeout: 10000 })
      await cell.getByRole('button', { name: /^Run / }).click()
    }
    for (let i = 0; i < cells; i++) await page.getByTestId('cell').nth(first + i).getByTestId('row-count').waitFor({ timeout: 10000 })
    await page.waitForTimeout(1500) // past the start, into the steady state
    // First at 1280x800 with the last cell in view, as a person watches;
    // then in a window tall enough that all five results are on screen.
    await page.getByTestId('cell').nth(first + cells - 1).scrollIntoViewIfNeeded()
    const counts0 = await rowCounts(page, first, cells)
    const inView = await measureFrames(page, 5000)
    const counts1 = await rowCounts(page, first, cells)
    const tall = await page.evaluate(() => document.documentElement.scrollHeight)
    await page.setViewportSize({ width: 1280, height: Math.min(tall + 100, 8000) })
    await page.waitForTimeout(1000)
    const cdp = process.env.E2E_PROFILE ? await page.context().newCDPSession(page) : undefined
    if (cdp) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
      await cdp.send('Profiler.start')
    }
    const allVisible = await measureFrames(page, 5000)
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop')
      writeFileSync(join(OUT, 'load.cpuprofile'), JSON.stringify(profile))
      log(topFunctions(profile))
    }
    await page.setViewportSize({ width: 1280, height: 800 })
    const perCell = counts1.map((c, i) => Math.round((c - counts0[i]) / 5))
    check(perCell.every((r) => r >= 900), `a cell showed fewer than 900 rows/s: ${perCell} (kcat: ${kcatErr.trim() || 'ok'})`)
    for (let i = 0; i < cells; i++) await page.getByTestId('cell').nth(first + i).getByRole('button', { name: /^Stop / }).first().click()
    return { cells, target_rows_per_sec: rate, rows_per_sec_per_cell: perCell, in_view_1280x800: inView, all_five_on_screen: allVisible }
  } finally {
    clearInterval(feed)
    stopKcat()
  }
}

/** measureFrames records animation-frame intervals and long tasks in the page for ms. */
async function measureFrames(page, ms) {
  return page.evaluate(async (ms) => {
    const frames = []
    let long = 0
    let longMs = 0
    const po = new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        long++
        longMs += e.duration
      }
    })
    po.observe({ type: 'longtask', buffered: false })
    await new Promise((done) => {
      let last = performance.now()
      const end = last + ms
      const tick = (t) => {
        frames.push(t - last)
        last = t
        if (t < end) requestAnimationFrame(tick)
        else done()
      }
      requestAnimationFrame(tick)
    })
    po.disconnect()
    frames.sort((a, b) => a - b)
    const q = (p) => Math.round(frames[Math.min(frames.length - 1, Math.floor(p * frames.length))] * 10) / 10
    return { frames: frames.length, fps: Math.round((frames.length * 1000) / ms), p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1), long_tasks: long, long_task_ms: Math.round(longMs) }
  }, ms)
}

/** topFunctions lists where a CPU profile spent its time (self time), for E2E_PROFILE runs. */
function topFunctions(profile, n = 25) {
  const dt = new Map()
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const self = new Map()
  for (const node of profile.nodes) {
    const f = node.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + (dt.get(node.id) ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${(v / 1000).toFixed(0).padStart(6)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n')
}

async function rowCounts(page, first, n) {
  const out = []
  for (let i = 0; i < n; i++) {
    const t = await page.getByTestId('cell').nth(first + i).getByTestId('row-count').textContent()
    out.push(Number(t.replace(/[^\d]/g, '')))
  }
  return out
}

let velo
try {
  velo = await main()
} catch (e) {
  results.push({ name: 'setup', ok: false, error: e.stack ?? String(e) })
  log(`✗ setup: ${e.stack ?? e}`)
} finally {
  await cleanup()
}
const passed = results.filter((r) => r.ok).length
const failed = results.length - passed
writeFileSync(join(OUT, 'results.json'), JSON.stringify({ results, figures, consoleErrors, offLoopback }, null, 2))
if (failed && velo) writeFileSync(join(OUT, 'velo.log'), velo.output())
log(`figures: ${JSON.stringify(figures)}`)
log(`screenshots and results: ${OUT}`)
log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
