/** Monaco language for a lab file (only languages we register in monaco-setup.ts). */
export function languageFor(path: string): string {
  const name = path.split('/').pop() ?? path;
  const lower = name.toLowerCase();
  if (lower === 'dockerfile' || lower.endsWith('.dockerfile')) return 'dockerfile';
  if (lower === '.env' || lower.startsWith('.env.') || lower.endsWith('.env')) return 'ini';
  const ext = lower.includes('.') ? lower.slice(lower.lastIndexOf('.') + 1) : '';
  const byExt: Record<string, string> = {
    yml: 'yaml',
    yaml: 'yaml',
    sql: 'mysql',
    py: 'python',
    ini: 'ini',
    cfg: 'ini',
    conf: 'ini',
    toml: 'ini',
    sh: 'shell',
    bash: 'shell',
    md: 'markdown',
  };
  return byExt[ext] ?? 'plaintext';
}
