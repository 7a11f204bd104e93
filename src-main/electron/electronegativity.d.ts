// The package ships no types; this is the part of its programmatic entry (dist/runner.js) the test uses.
declare module '@doyensec/electronegativity' {
  interface Options {
    input: string;
    electronVersionOverride?: string;
    excludeFromScan?: string[];
    isRelative?: boolean;
  }
  export default function run(options: Options): Promise<unknown>;
}
