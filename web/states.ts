/**
 * The verifier's abstract states (issue #10): click an instruction of the listing and this panel
 * shows the state the verifier proved before it (`verify({ states: true })`), with its source line,
 * or says no execution reaches it.
 */
import type { ProgramReport } from 'bpfkit/core';
import { h } from './dom.js';

type InstructionState = NonNullable<ProgramReport['states']>[number];

/** The state before `pc` in report `r`, or a hint when nothing is picked or states are missing. */
export function renderState(r: ProgramReport, pc: number | undefined): HTMLElement {
  if (pc === undefined) return h('div', { class: 'muted small', 'data-testid': 'state-hint' }, 'Click an instruction in the listing to see the state the verifier proved before it.');
  const st: InstructionState | undefined = r.states?.find((s) => s.pc === pc);
  const title = h('div', { class: 'state-title mono', 'data-testid': 'state-title' }, `State before pc ${pc}`);
  if (st === undefined) return h('div', { 'data-pc': pc }, title, h('div', { class: 'muted small' }, 'The verifier kept no state for this instruction (it stopped before reaching it).'));
  return h(
    'div',
    { 'data-pc': pc, 'data-unreachable': String(st.unreachable === true) },
    title,
    st.source !== undefined ? h('div', { class: 'muted small mono' }, st.source) : null,
    st.sourceText !== undefined && st.sourceText !== '' ? h('code', { class: 'src-text' }, st.sourceText.trim()) : null,
    h('code', { class: 'state-insn' }, st.instruction),
    st.unreachable === true
      ? h('div', { class: 'state-unreachable', 'data-testid': 'state-unreachable' }, 'unreachable: no execution reaches this instruction')
      : h('pre', { class: 'state-lines', 'data-testid': 'state-lines' }, st.state.join('\n')),
    st.contexts !== undefined && st.contexts > 1 ? h('div', { class: 'muted small' }, `joined over ${st.contexts} call sites`) : null,
  );
}
