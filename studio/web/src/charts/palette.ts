/** Series colours, shared by both chart libraries so a symbol keeps its colour when the chart type changes. */
export const palette = ['#0ea5e9', '#8b5cf6', '#f59e0b', '#10b981', '#ef4444', '#ec4899', '#14b8a6', '#6366f1', '#84cc16', '#f97316']
