// Icons as inline SVG: emoji depend on the fonts a machine has (a bare
// Linux shows empty boxes), these do not. Decorative: the buttons that
// hold them carry the accessible names.
type P = { className?: string }
const base = { width: 16, height: 16, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const, 'aria-hidden': true }

export const ChatIcon = ({ className }: P) => (
  <svg {...base} className={className}>
    <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" />
  </svg>
)
export const TrashIcon = ({ className }: P) => (
  <svg {...base} className={className}>
    <path d="M3 6h18M8 6V4h8v2M6 6l1 14h10l1-14" />
  </svg>
)
export const DeployIcon = ({ className }: P) => (
  <svg {...base} className={className}>
    <path d="M12 19V5M5 12l7-7 7 7" />
    <path d="M5 21h14" />
  </svg>
)
export const SparkIcon = ({ className }: P) => (
  <svg {...base} className={className}>
    <path d="M12 3l1.9 5.6L19.5 10l-5.6 1.9L12 17.5l-1.9-5.6L4.5 10l5.6-1.4z" />
  </svg>
)
export const CheckBoxIcon = ({ className }: P) => (
  <svg {...base} className={className}>
    <rect x="3" y="3" width="18" height="18" rx="3" />
    <path d="M8 12l3 3 5-6" />
  </svg>
)
