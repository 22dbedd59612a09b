/**
 * Colour for terminal output: only when the stream is a TTY and NO_COLOR is unset, so pipes,
 * files and CI logs get plain text.
 */
const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

export function paint(text: string, style: Style, stream: NodeJS.WriteStream = process.stdout): string {
  return useColour(stream) ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** Colours a verifier report's verdict words at the start of lines. */
export function paintVerdicts(report: string, stream: NodeJS.WriteStream = process.stdout): string {
  if (!useColour(stream)) return report;
  return report.replace(/^(REJECTED)\b/gm, (m) => paint(m, 'red', stream)).replace(/^(ok)\b/gm, (m) => paint(m, 'green', stream));
}
