/**
 * Value types and expression handles shared by the two back ends. The numbers are binaryen's own
 * type ids (./compile-binaryen.ts checks that at load), so emitters hand the same constants to
 * binaryen and to ./wasm-builder.ts without loading binaryen.
 */

/** An expression handle: a node index in ./wasm-builder.ts, an expression pointer in binaryen. */
export type Expr = number;

export const NONE = 0;
export const UNREACHABLE = 1;
export const I32 = 2;
export const I64 = 3;
export const F64 = 5;
