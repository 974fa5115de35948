import { InvalidArgumentError, type Command } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not a positive integer`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--proxy imagenet=stl10`, repeatable: off unless given, as in the API. */
export function proxyOption(command: Command): Command {
  return command.option(
    '--proxy <missing=stand-in>',
    "let a dataset without an embedding borrow another's (the study used imagenet=stl10); repeatable",
    collect,
    [] as string[],
  );
}
