import { assemble } from '../../src/isa/asm.js';
import { prepareProgram } from '../../src/helpers/exec-program.js';
import { compileProgram } from '../../src/jit/compile.js';
import { binaryen } from '../../src/jit/binaryen.js';
const src = `mov %r0, 0
mov %r1, 0
loop:
add %r0, %r1
ldxdw %r3, [%r10-8]
stxdw [%r10-16], %r3
add %r1, 1
jlt %r1, 1000000, loop
exit`;
const ins = assemble(src);
for (const opt of [0, 1, 2, 3, 0, 1] as const) {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    compileProgram(prepareProgram('x', ins), 0x11000, { optimize: opt, dispatch: 'relooper' });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(opt, 'median', times[100]!.toFixed(3), 'p90', times[180]!.toFixed(3));
}
let t = performance.now();
for (let i = 0; i < 200; i++) { const m = new binaryen.Module(); m.dispose(); }
console.log('module new+dispose', ((performance.now() - t) / 200).toFixed(3));
