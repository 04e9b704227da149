// Saving a chart: SVG as drawn by the core, or PNG rasterised here from that SVG (the
// WebView already renders SVG text with the system fonts, so no second font stack in Rust).
import { api } from "./api";

export function svgSize(svg: string): { width: number; height: number } {
  const w = /<svg[^>]*\swidth="(\d+)/.exec(svg);
  const h = /<svg[^>]*\sheight="(\d+)/.exec(svg);
  return { width: w ? Number(w[1]) : 720, height: h ? Number(h[1]) : 300 };
}

export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { width, height } = svgSize(svg);
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error("could not render the chart"));
      img.src = url;
    });
    const canvas = document.createElement("canvas");
    canvas.width = width * scale;
    canvas.height = height * scale;
    const ctx = canvas.getContext("2d")!;
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    const blob = await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png"),
    );
    return new Uint8Array(await blob.arrayBuffer());
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves through the native save dialog; `null` when the user cancelled. */
export async function saveChart(svg: string, baseName: string, format: "svg" | "png"): Promise<string | null> {
  const bytes = format === "svg" ? new TextEncoder().encode(svg) : await svgToPng(svg);
  return api.saveChart(`${baseName}.${format}`, bytes);
}
