import { Command, Option } from 'commander';
import { EXPERT_PROPERTIES, VOCABULARY } from '../../experts/index.js';
import { presentExpertDistance, presentExpertFeatures } from '../../presenters/embeddings.js';
import {
  datasetExpertFeatures,
  storedExpertDistance,
  submitExpertAnswer,
  TIE_RULE,
  withStore,
  type DatasetExpertFeatures,
} from '../../services/index.js';
import { fixed, printJson, table } from '../output.js';

function featureTable(f: DatasetExpertFeatures): string {
  return table(
    ['property', 'value', 'votes', 'tied with', 'kappa', 'pairs agreeing'],
    EXPERT_PROPERTIES.map((p) => {
      const v = f.votes?.[p];
      const a = f.agreement?.[p];
      return [
        p,
        f.features[p],
        v ? `${v.votes}/${v.total}` : undefined,
        v && v.tiedWith.length > 0 ? v.tiedWith.join(', ') : undefined,
        a && a.kappa !== null ? fixed(a.kappa, 3) : undefined,
        a ? fixed(a.observed, 2) : undefined,
      ];
    }),
  );
}

function heading(f: DatasetExpertFeatures): string {
  return f.source === 'observers'
    ? `${f.dataset}: majority vote of ${f.observers} observer${f.observers === 1 ? '' : 's'} (ties: ${TIE_RULE})`
    : `${f.dataset}: from its registry file (no observer has answered yet)`;
}

export function expertsCommand(): Command {
  const experts = new Command('experts').description(
    "expert features: observers' questionnaire answers, their vote, and expert distances",
  );

  const answer = experts
    .command('answer')
    .description("submit one observer's answers for a dataset (a resubmission replaces that observer's answers)")
    .argument('<dataset>', 'dataset id')
    .requiredOption('--observer <name>', 'who answers');
  for (const p of EXPERT_PROPERTIES)
    answer.addOption(new Option(`--${p} <value>`, `${p}`).choices([...VOCABULARY[p]]).makeOptionMandatory());
  answer
    .option('--json', 'print JSON')
    .action(async (dataset: string, o: Record<string, string> & { observer: string; json?: boolean }) => {
      const answers = Object.fromEntries(EXPERT_PROPERTIES.map((p) => [p, o[p]]));
      const receipt = await withStore((store) => submitExpertAnswer(store, dataset, o.observer, answers));
      if (o.json) return printJson({ ...receipt, features: presentExpertFeatures(receipt.features, TIE_RULE) });
      console.log(`${receipt.replaced ? 'replaced' : 'recorded'} ${receipt.observer}'s answers for ${dataset}`);
      console.log(heading(receipt.features));
      console.log(featureTable(receipt.features));
    });

  experts
    .command('show')
    .description("a dataset's expert features: the observers' vote with agreement, else the registry's")
    .argument('<dataset>', 'dataset id')
    .option('--json', 'print JSON')
    .action(async (dataset: string, o: { json?: boolean }) => {
      const f = await withStore((store) => datasetExpertFeatures(store, dataset));
      if (o.json) return printJson(presentExpertFeatures(f, TIE_RULE));
      console.log(heading(f));
      console.log(featureTable(f));
    });

  experts
    .command('distance')
    .description("Hamming distance between two datasets' expert features; a published figure takes precedence")
    .argument('<a>', 'dataset id')
    .argument('<b>', 'dataset id')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const d = presentExpertDistance(await withStore((store) => storedExpertDistance(store, a, b)));
      if (o.json) return printJson(d);
      const from =
        d.source.kind === 'published'
          ? `published by ${d.source.publication}`
          : `computed from ${
              Object.entries(d.features ?? {})
                .map(([id, s]) => `${id}'s ${s === 'observers' ? 'observer vote' : 'registry features'}`)
                .join(' and ') || 'identical ids'
            }`;
      console.log(`expert distance ${a} - ${b}: ${d.distance} of ${EXPERT_PROPERTIES.length} (${from})`);
    });

  return experts;
}
