export type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** One element: attributes by name (`on…` for listeners, false and undefined left out) and its children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A polite live region: screen readers announce what is written to it. */
export function statusLine(): HTMLParagraphElement {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function link(href: string, text: string): HTMLAnchorElement | Text {
  return /^https?:\/\//.test(href) ? h('a', { href, rel: 'noopener noreferrer' }, text) : document.createTextNode(text);
}

/** The page's heading; focused after navigation so keyboard and screen-reader users land on it. */
export function pageTitle(text: string): HTMLHeadingElement {
  return h('h1', { id: 'page-title', tabindex: -1 }, text);
}
