import { Command } from 'commander';
import { presentAnalysis } from '../../presenters/evidence.js';
import { correlationAnalysis, withStore } from '../../services/index.js';
import { fixed, printJson, table } from '../output.js';
import { proxyOption } from '../options.js';
import { definedOnly } from '../../defaults.js';

function interval(lower: number | null, upper: number | null): string {
  return `[${fixed(lower ?? undefined, 3)}, ${fixed(upper ?? undefined, 3)}]`;
}

export function analyzeCommand(): Command {
  const command = new Command('analyze')
    .description(
      'correlate every distance signal with measured transferability (Pearson, Spearman, p-values, bootstrap 95% intervals)',
    )
    .option('--architecture <name>', 'only results with this architecture')
    .option('--json', 'print JSON');
  return proxyOption(command).action(async (opts: { proxy: string[]; architecture?: string; json?: boolean }) => {
    const analysis = presentAnalysis(
      await withStore((store) =>
        correlationAnalysis(store, {
          proxy: opts.proxy,
          ...definedOnly({ architecture: opts.architecture || undefined }),
        }),
      ),
    );
    if (opts.json) return printJson(analysis);
    const proxy = analysis.proxy
      ? Object.entries(analysis.proxy.map)
          .map(([a, b]) => `${a} -> ${b}`)
          .join(', ')
      : 'none';
    console.log(`${analysis.pairs} measured (source, target) pairs; proxy for embeddings: ${proxy}\n`);
    console.log(
      table(
        ['signal', 'n', 'pearson', 'p', '95% CI', 'spearman', 'p', '95% CI'],
        analysis.signals.map((s) => [
          s.signal,
          s.n,
          fixed(s.pearson.coefficient ?? undefined, 3),
          fixed(s.pearson.p_value ?? undefined, 3),
          interval(s.pearson.interval.lower, s.pearson.interval.upper),
          fixed(s.spearman.coefficient ?? undefined, 3),
          fixed(s.spearman.p_value ?? undefined, 3),
          interval(s.spearman.interval.lower, s.spearman.interval.upper),
        ]),
      ),
    );
    for (const s of analysis.signals) {
      const proxied = s.used
        .filter((u) => u.proxied_via)
        .map((u) => `${u.source}->${u.target} via ${u.proxied_via!.source}->${u.proxied_via!.target}`);
      const left = s.left_out.map((l) => `${l.source}->${l.target} (${l.reason})`);
      console.log(`\n${s.signal}: ${s.n} pairs used${proxied.length ? `; proxied: ${proxied.join(', ')}` : ''}`);
      console.log(`  left out: ${left.length ? left.join(', ') : 'none'}`);
    }
  });
}
