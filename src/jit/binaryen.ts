/**
 * The one place that loads binaryen. Its module is a 14 MB Emscripten build with a top-level await
 * (about a second to load), so only code that really compiles imports this file; everything else
 * reaches the JIT through a dynamic import (see `loadJit` in ../run/raw.ts). binaryen is an optional
 * dependency (a verify/interpreter-only install leaves it out), so a missing one is a clear
 * BpfkitError rather than a module-resolution stack trace.
 */
import { BpfkitError, ErrorCode } from '../errors.js';

type Binaryen = typeof import('binaryen').default;

async function importBinaryen(): Promise<Binaryen> {
  try {
    return (await import('binaryen')).default;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new BpfkitError(
        ErrorCode.Unsupported,
        "engine jit: the JIT needs the optional dependency 'binaryen', which is not installed (npm install binaryen@132.0.0); the interpreter works without it",
        { cause: e },
      );
    }
    throw e;
  }
}

const binaryenModule: Binaryen = await importBinaryen();

export const binaryen = binaryenModule;
export type Module = InstanceType<Binaryen['Module']>;
/** An expression handle inside a binaryen module. */
export type Expr = number;

/**
 * Getters and setters of control-flow expressions. binaryen.js has them at run time but its
 * typings leave them out; this declares the few the JIT uses.
 */
interface NamedAccess {
  getName(e: Expr): string | null;
  setName(e: Expr, name: string): void;
}
export interface ControlAccess {
  readonly Block: NamedAccess & { getNumChildren(e: Expr): number; getChildAt(e: Expr, i: number): Expr };
  readonly Loop: NamedAccess & { getBody(e: Expr): Expr };
  readonly Break: NamedAccess;
  readonly If: { getIfTrue(e: Expr): Expr; getIfFalse(e: Expr): Expr };
  readonly Switch: {
    getNumNames(e: Expr): number;
    getNameAt(e: Expr, i: number): string;
    setNameAt(e: Expr, i: number, name: string): void;
    getDefaultName(e: Expr): string | null;
    setDefaultName(e: Expr, name: string): void;
  };
}
export const control = binaryenModule as unknown as ControlAccess;
