// chart.js: a chart drawn by the vendored Apache ECharts (web/vendor/echarts, loaded when the first
// chart is shown: the other pages never load it). A chart is the picture; the page shows the same
// figures as a table beside it, which is the record (docs/console.md, "The dashboard"). The
// canvas is hidden from screen readers for that reason. Under the console's CSP: the canvas
// renderer, and tooltips drawn in the canvas (renderMode richText): ECharts' HTML tooltips carry
// style attributes, which the CSP refuses.
import { useEffect, useRef } from "../vendor/preact/hooks.mjs";
import { html } from "./ui.js";

let loaded = null;
const echartsLoad = () => (loaded ??= import("../vendor/echarts/echarts.esm.min.mjs"));

const FONT = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", sans-serif';

// option: an ECharts option (its words Chinese); defaults for the console added.
export function Chart({ option, id }) {
  const box = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    let live = true;
    echartsLoad().then((echarts) => {
      if (!live || !box.current) return;
      chart.current ??= echarts.init(box.current, null, { renderer: "canvas" });
      chart.current.setOption({
        animation: false,
        textStyle: { fontFamily: FONT },
        tooltip: { renderMode: "richText", trigger: option.series?.[0]?.type === "pie" ? "item" : "axis" },
        ...option,
      }, true);
    });
    return () => { live = false; };
  }, [option]);
  useEffect(() => {
    const ro = new ResizeObserver(() => chart.current?.resize());
    ro.observe(box.current);
    return () => { ro.disconnect(); chart.current?.dispose(); chart.current = null; };
  }, []);
  return html`<div class="chart" id=${id} ref=${box} aria-hidden="true"></div>`;
}
