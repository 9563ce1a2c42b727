/** vega-embed with vega and vega-lite, bundled on their own (web/dist/vega.js) so the page paints before they load. */
export { default as embed, vega } from 'vega-embed';
