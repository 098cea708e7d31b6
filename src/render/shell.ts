// Shell quoting for the scripts lab writes for people to read and run by hand.

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command one option per line, as a person would write it. */
export function shellCommand(argv: string[]): string {
  const lines: string[] = [];
  for (const word of argv) {
    const quoted = shellQuote(word);
    if (word.startsWith('-') && lines.length) lines.push(quoted);
    else if (lines.length) lines[lines.length - 1] += ` ${quoted}`;
    else lines.push(quoted);
  }
  return lines.join(' \\\n  ');
}
