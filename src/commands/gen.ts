import type { Command } from 'commander';
export function registerGen(program: Command): void {
  void program;
}
