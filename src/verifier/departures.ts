/**
 * The known departures: proofs bpfkit can make that the kernel's verifier cannot. The kernel is
 * the specification, so bpfkit rejects such a program with the kernel's reason; when the
 * stronger analysis proves the failing instruction safe, the message says so, names what the
 * kernel lacks and what to change in the program. This is the one list of them; each entry is
 * enabled together in bpfkit's precise mode (used only to explain a rejection, never to accept)
 * and has a fixture (fixtures/verifier) where the kernel rejects and bpfkit explains.
 */

export interface Departure {
  /** Stable name, used in tests and docs. */
  readonly id: string;
  /** What the kernel's verifier does not keep. */
  readonly kernelLimit: string;
  /** What to change in the program so the kernel can prove it. */
  readonly advice: string;
  /** The fixture where the kernel rejects a program bpfkit's precise mode proves safe. */
  readonly fixture: string;
}

export const DEPARTURES: readonly Departure[] = [
  {
    id: 'scalar-relations',
    kernelLimit: 'the kernel keeps no relation between two unknown numbers compared with each other (after `i < len`, bounding len does not bound i)',
    advice: 'bound the value used for the access itself (check len before comparing i with it, or mask/compare i with a constant)',
    fixture: 'reject_correlated_order',
  },
];

/** The text added to a rejection that bpfkit's precise mode proves safe. */
export function departureNote(): string {
  const d = DEPARTURES.map((x) => `${x.kernelLimit}; ${x.advice}`).join('; or: ');
  return `the program is safe here (bpfkit's relational analysis proves it), but the kernel's verifier cannot prove it: ${d}`;
}
