import { h } from './dom.js';
import { recommendPage } from './pages/recommend.js';
import { evidencePage } from './pages/evidence.js';
import { datasetsPage } from './pages/datasets.js';
import { resultsPage } from './pages/results.js';

export type Page = (section: HTMLElement, params: URLSearchParams) => Promise<void>;

const pages: Record<string, { title: string; render: Page }> = {
  recommend: { title: 'Recommend', render: recommendPage },
  evidence: { title: 'Evidence', render: evidencePage },
  datasets: { title: 'Datasets', render: datasetsPage },
  results: { title: 'Results', render: resultsPage },
};

/** Hash routes (`#/evidence?probe=…`) keep the server's part to static files. */
async function route(): Promise<void> {
  const main = document.getElementById('main')!;
  const [name = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const key = name in pages ? name : 'recommend';
  const page = pages[key]!;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.getAttribute('href') === `#/${key}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${page.title} · Transfer Atlas`;
  // Each visit renders into its own section, so a slow earlier page cannot write into this one.
  const section = h('section', { 'aria-labelledby': 'page-title' });
  main.replaceChildren(section);
  main.setAttribute('aria-busy', 'true');
  try {
    await page.render(section, new URLSearchParams(query));
  } catch (err) {
    section.append(
      h(
        'p',
        { class: 'error', role: 'alert' },
        `This page could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
  } finally {
    if (main.contains(section)) main.setAttribute('aria-busy', 'false');
  }
}

window.addEventListener('hashchange', () => {
  void route().then(() => document.getElementById('page-title')?.focus());
});
void route();
