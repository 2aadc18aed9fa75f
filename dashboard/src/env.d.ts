/** The event catalogue (contract §4), injected by dashboard/build.ts from functions/core/events.ts. */
declare const __EVENT_CATALOGUE__: readonly { type: string; description: string }[];

/** esbuild's `file` loader: the hashed URL of the emitted file. */
declare module '*.svg' {
  const url: string;
  export default url;
}

/** Stylesheets are bundled by esbuild into the hashed main.css. */
declare module '*.css';
