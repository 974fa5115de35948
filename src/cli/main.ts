#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { BackendUnavailableError } from '../compute/index.js';
import { AppError } from '../errors.js';
import { datasetsCommand } from './commands/datasets.js';
import { resultsCommand } from './commands/results.js';
import { analyzeCommand } from './commands/analyze.js';
import { evaluateCommand } from './commands/evaluate.js';
import { recommendCommand } from './commands/recommend.js';
import { migrateCommand, refitCommand, seedCommand, serveCommand, VERSION } from './commands/service.js';
import { embedCommand, embeddingsCommand } from './commands/embed.js';
import { estimatorsCommand } from './commands/estimators.js';
import { distanceCommand } from './commands/distance.js';
import { probesCommand } from './commands/probes.js';
import { expertsCommand } from './commands/experts.js';
import { signalsCommand, studiesCommand } from './commands/studies.js';
import { jobsCommand, workerCommand } from './commands/jobs.js';
import { tokensCommand } from './commands/tokens.js';

/** Exit codes: 0 done, 1 the program failed, 2 the caller's arguments or files were wrong. */
const BAD_INPUT = 2;

export function buildProgram(): Command {
  const program = new Command('transfer-atlas')
    .description('Which source dataset to pretrain on before fine-tuning on a small medical image target.')
    .version(VERSION)
    .showSuggestionAfterError()
    .exitOverride();
  for (const command of [
    serveCommand(),
    migrateCommand(),
    seedCommand(),
    refitCommand(),
    datasetsCommand(),
    resultsCommand(),
    analyzeCommand(),
    evaluateCommand(),
    recommendCommand(),
    embedCommand(),
    estimatorsCommand(),
    embeddingsCommand(),
    distanceCommand(),
    probesCommand(),
    expertsCommand(),
    studiesCommand(),
    signalsCommand(),
    jobsCommand(),
    workerCommand(),
    tokensCommand(),
  ]) {
    program.addCommand(command);
  }
  // Subcommands inherit neither exitOverride nor output settings from the program they join.
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help'
        ? 0
        : BAD_INPUT;
    }
    if (err instanceof AppError || err instanceof BackendUnavailableError) {
      process.stderr.write(`transfer-atlas: ${err.message}\n`);
      return BAD_INPUT;
    }
    process.stderr.write(`transfer-atlas: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
