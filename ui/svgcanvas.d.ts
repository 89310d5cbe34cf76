/**
 * Types of the parts of npm svgcanvas 2.6 the dashboard uses (the package ships none): a 2D
 * context that records drawing as SVG.
 *
 * @module
 */

/** Options of the SVG context. */
export interface SvgContextOptions {
  /** Width in CSS pixels. */
  width: number;
  /** Height in CSS pixels. */
  height: number;
  /** Document used to create elements (default the global one). */
  document?: Document;
}

/** A CanvasRenderingContext2D look-alike that builds an SVG document. */
export interface SvgContext extends CanvasRenderingContext2D {
  /** The drawing as SVG markup. */
  getSerializedSvg(fixNamedEntities?: boolean): string;
  /** Width in CSS pixels. */
  width: number;
  /** Height in CSS pixels. */
  height: number;
}

/** Creates an SVG drawing context. */
export declare const Context: new (options: SvgContextOptions) => SvgContext;
