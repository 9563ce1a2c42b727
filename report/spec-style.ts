/** What every report plot shares: the Vega-Lite schema, the page's font and width, axis and legend colours. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
/** Plot area width that fits the report's 880 px column. */
export const WIDTH = 760;

export const CONFIG = {
  font: FONT,
  view: { stroke: null },
  axis: { labelColor: '#4b5563', titleColor: '#374151', titleFontWeight: 500, gridColor: '#eceef2',
    domainColor: '#9ca3af', tickColor: '#9ca3af', labelFontSize: 11, titleFontSize: 11 },
  legend: { labelColor: '#374151', titleColor: '#374151', labelFontSize: 11, titleFontSize: 11, titleFontWeight: 500 },
  header: { labelFontSize: 12, labelColor: '#111827', titleFontSize: 11, titleColor: '#6b7280', titleFontWeight: 500 },
} as const;
