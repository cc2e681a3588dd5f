// Sets the theme before the first paint so a dark page never flashes white.
// A file rather than an inline script: the page's CSP allows no inline code.
try {
  var t = localStorage.getItem('velo.theme')
  if (t === 'dark' || (!t && matchMedia('(prefers-color-scheme: dark)').matches)) {
    document.documentElement.classList.add('dark')
  }
} catch (e) {
  /* storage disabled: the light theme it is */
}
