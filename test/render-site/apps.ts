/**
 * The test site's three apps, one per framework from npm (React, Vue, Preact), as source text
 * bundled at test time by ./build.ts. Each renders the same page data (./model.ts): a heading,
 * paragraphs and a nav of links that route on the client (pushState, no reload). Written without
 * JSX (createElement / h) so no transform beyond bundling is needed.
 */

/** Client-rendered entry: fetch the page's data from the API, then mount into an empty root. */
const csrMount = (mount: string) => `
const root = document.getElementById(${JSON.stringify(mount)});
fetch('/api' + location.pathname + '.json').then((r) => r.json()).then((d) => { document.title = d.title; MOUNT(root, d); });
`;

export const APPS = {
  react: {
    app: `
import { createElement as h, useState } from 'react';
export function App({ d }) {
  const [path, setPath] = useState(null);
  const go = (e, href) => { e.preventDefault(); history.pushState(null, '', href); setPath(href); };
  return h('main', null, h('h1', null, d.h1), ...d.text.map((t) => h('p', null, t)),
    h('nav', null, ...d.links.map((l) => h('a', { href: l.href, onClick: (e) => go(e, l.href) }, l.text))),
    path ? h('small', null, 'went to ' + path) : null);
}`,
    csr: `import { createElement as h } from 'react'; import { createRoot } from 'react-dom/client'; import { App } from 'app';
const MOUNT = (root, d) => createRoot(root).render(h(App, { d }));` + csrMount('root'),
    hydrate: `import { createElement as h } from 'react'; import { hydrateRoot } from 'react-dom/client'; import { App } from 'app';
const d = JSON.parse(document.getElementById('__NEXT_DATA__').textContent);
hydrateRoot(document.getElementById('root'), h(App, { d }));`,
    server: `import { createElement as h } from 'react'; import { renderToString } from 'react-dom/server'; import { App } from 'app';
export const render = (d) => renderToString(h(App, { d }));`,
  },
  vue: {
    app: `
import { h, defineComponent, ref } from 'vue';
export const App = defineComponent({ props: ['d'], setup(props) {
  const path = ref(null);
  const go = (e, href) => { e.preventDefault(); history.pushState(null, '', href); path.value = href; };
  return () => h('main', [h('h1', props.d.h1), ...props.d.text.map((t) => h('p', t)),
    h('nav', props.d.links.map((l) => h('a', { href: l.href, onClick: (e) => go(e, l.href) }, l.text))),
    path.value ? h('small', 'went to ' + path.value) : null]);
} });`,
    csr: `import { createApp } from 'vue'; import { App } from 'app';
const MOUNT = (root, d) => createApp(App, { d }).mount(root);` + csrMount('app'),
    hydrate: `import { createSSRApp } from 'vue'; import { App } from 'app';
createSSRApp(App, { d: window.__NUXT__.data }).mount('#app');`,
    server: `import { createSSRApp } from 'vue'; import { renderToString } from 'vue/server-renderer'; import { App } from 'app';
export const render = (d) => renderToString(createSSRApp(App, { d }));`,
  },
  preact: {
    app: `
import { h } from 'preact'; import { useState } from 'preact/hooks';
export function App({ d }) {
  const [path, setPath] = useState(null);
  const go = (e, href) => { e.preventDefault(); history.pushState(null, '', href); setPath(href); };
  return h('main', null, h('h1', null, d.h1), ...d.text.map((t) => h('p', null, t)),
    h('nav', null, ...d.links.map((l) => h('a', { href: l.href, onClick: (e) => go(e, l.href) }, l.text))),
    path ? h('small', null, 'went to ' + path) : null);
}`,
    csr: `import { h, render } from 'preact'; import { App } from 'app';
const MOUNT = (root, d) => render(h(App, { d }), root);` + csrMount('preact-mount'),
    hydrate: `import { h, hydrate } from 'preact'; import { App } from 'app';
const d = JSON.parse(document.getElementById('page-data').textContent);
hydrate(h(App, { d }), document.getElementById('preact-mount'));`,
    server: `import { h } from 'preact'; import renderToString from 'preact-render-to-string'; import { App } from 'app';
export const render = (d) => renderToString(h(App, { d }));`,
  },
} as const;

export type Framework = keyof typeof APPS;

/** Harmless scripts of the static pages: an analytics beacon and a menu toggle. */
export const STATIC_SCRIPTS = {
  analytics: `(function(){ try { navigator.sendBeacon('/collect', JSON.stringify({ p: location.pathname })); } catch (e) {} window.dataLayer = [{ event: 'view' }]; })();`,
  menu: `document.addEventListener('click', function (e) { if (e.target && e.target.id === 'menu-button') document.getElementById('menu').classList.toggle('open'); });`,
};
