/**
 * The one place that loads binaryen. Its module is a 14 MB Emscripten build with a top-level await
 * (about a second to load), so only code that really compiles imports this file; everything else
 * reaches the JIT through a dynamic import (see `loadJit` in ../run/raw.ts).
 */
import binaryenModule from 'binaryen';

export const binaryen = binaryenModule;
export type Module = InstanceType<typeof binaryenModule.Module>;
/** An expression handle inside a binaryen module. */
export type Expr = number;
