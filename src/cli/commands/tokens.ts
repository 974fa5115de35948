import { Command } from 'commander';
import { presentCreatedToken, presentToken } from '../../presenters/tokens.js';
import { apiTokens, createToken, parseScopes, revokeApiToken, SCOPES, withStore } from '../../services/index.js';
import { printJson, table } from '../output.js';

/** Token management works on the local store directly: whoever runs the CLI there administers the server. */
export function tokensCommand(): Command {
  const tokens = new Command('tokens').description(
    "API tokens for the server's writes (and reads with TA_READS=token)",
  );

  tokens
    .command('create')
    .description('mint a token; it is printed once and only its hash is stored')
    .requiredOption('--name <owner>', 'whose token: the contributor id its writes are recorded under')
    .requiredOption('--scope <scopes>', `comma-separated scopes: ${SCOPES.join(', ')} (each includes the ones before)`)
    .option('--json', 'print JSON')
    .action(async (o: { name: string; scope: string; json?: boolean }) => {
      const created = await withStore((store) => createToken(store, o.name, parseScopes(o.scope, '--scope')));
      if (o.json) return printJson(presentCreatedToken(created));
      console.log(created.token);
      process.stderr.write(
        `token ${created.id} for ${created.owner} (${created.scopes.join(', ')}): shown once, store it now\n`,
      );
    });

  tokens
    .command('list')
    .description('every token, revoked ones included, with its owner, scopes, creation and last use')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = (await withStore((store) => apiTokens(store))).map(presentToken);
      if (o.json) return printJson(items);
      console.log(
        table(
          ['id', 'owner', 'scopes', 'created', 'last used', 'revoked'],
          items.map((t) => [t.id, t.owner, t.scopes.join(','), t.created_at, t.last_used_at, t.revoked_at]),
        ),
      );
    });

  tokens
    .command('revoke')
    .description('revoke a token at once; it stays listed')
    .argument('<id>', 'token id (tok_...)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const revoked = presentToken(await withStore((store) => revokeApiToken(store, id)));
      if (o.json) return printJson(revoked);
      console.log(`revoked ${revoked.id} (${revoked.owner}) at ${revoked.revoked_at}`);
    });

  return tokens;
}
