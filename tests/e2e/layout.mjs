// Layout checks shared by browser scripts (issue 16): a page must fit the screen it is shown
// on, keep its text at 16 px at least and, on a phone, give every control a 44 px target.

/** What is wrong with the layout of the page as shown now (an empty list when nothing is).
 *  `phone`: also check touch targets. */
export const layoutProblems = (page, phone) => page.evaluate((phone) => {
  const problems = [];
  const vw = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth > vw || document.body.scrollWidth > vw) {
    // Name what sticks out, for the message.
    const out = [...document.querySelectorAll('body *')]
      .filter((e) => {
        const r = e.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) return false;
        if (e.closest('.wide')) return false;
        return r.right > vw + 1 || r.left < -1;
      })
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).replace(/ /g, '.') : ''} (${Math.round(e.getBoundingClientRect().left)}..${Math.round(e.getBoundingClientRect().right)}): ${(e.textContent || '').trim().slice(0, 40)}`);
    problems.push(`the page is ${Math.max(doc.scrollWidth, document.body.scrollWidth)} px wide in a ${vw} px window: ${out.join(' | ')}`);
  }
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  // Text smaller than 16 px (any element holding text of its own).
  const small = new Set();
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!own || !visible(e)) continue;
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < 15.9) small.add(`${e.tagName.toLowerCase()} ${size}px: ${e.textContent.trim().slice(0, 30)}`);
  }
  if (small.size) problems.push(`text under 16 px: ${[...small].slice(0, 6).join(' | ')}`);
  if (phone) {
    const tiny = [];
    for (const e of document.querySelectorAll('a[href], button, select, textarea, input:not([type=hidden]), summary')) {
      if (!visible(e)) continue;
      const target = ['radio', 'checkbox'].includes(e.type) ? (e.closest('label') || e) : e;
      const r = target.getBoundingClientRect();
      if (r.height < 43.5 || r.width < 43.5) {
        tiny.push(`${e.tagName.toLowerCase()}${e.name ? `[name=${e.name}]` : ''} ${Math.round(r.width)}x${Math.round(r.height)}: ${(e.textContent || e.value || '').trim().slice(0, 30)}`);
      }
    }
    if (tiny.length) problems.push(`touch targets under 44 px: ${tiny.slice(0, 8).join(' | ')}`);
  }
  return problems;
}, phone);

/** What reads in the wrong order on the page (issue 16): a date, time, reference, amount or
 *  other left-to-right value (`time`, `bdi.ref`, `bdi.amount`, `bdi.ltr`) whose first
 *  character is drawn right of its last (a time before its date, a minus sign after its
 *  number), or a reference broken across lines. */
export const bidiProblems = (page) => page.evaluate(() => {
  const problems = [];
  for (const e of document.querySelectorAll('time, bdi.ref, bdi.amount, bdi.ltr')) {
    const text = e.textContent;
    if (text.trim().length < 2 || !e.getClientRects().length) continue;
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) if (walker.currentNode.textContent.length) nodes.push(walker.currentNode);
    if (!nodes.length) continue;
    const rect = (node, i) => {
      const r = document.createRange();
      r.setStart(node, i);
      r.setEnd(node, i + 1);
      return r.getBoundingClientRect();
    };
    const first = rect(nodes[0], 0);
    const lastNode = nodes[nodes.length - 1];
    const last = rect(lastNode, lastNode.textContent.length - 1);
    if (Math.abs(first.top - last.top) > 2) {
      problems.push(`"${text}" is broken across lines`);
    } else if (first.left > last.left + 0.5) {
      problems.push(`"${text}" reads right to left`);
    }
  }
  return problems;
});

/** What a person would see wrong in the words on the page (issue 16):
 *  - text that overflows its box (a word running out of its element, or cut by `overflow`);
 *  - in the Arabic UI, a Latin word that is not data (data is marked: `bdi`, `dir="ltr"`,
 *    `dir="auto"`, `translate="no"`, inputs);
 *  - a Fluent key shown raw, or a placeable left unfilled (`keys`: every message id);
 *  - a character no font on the machine can draw (it would show as an empty box).
 *  `lang`: the UI's language. */
export const textProblems = (page, lang, keys) => page.evaluate(({ lang, keys }) => {
  const problems = [];
  const keySet = new Set(keys);
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0.5 && r.height > 0.5 && s.visibility !== 'hidden' && s.display !== 'none'
      && parseFloat(s.opacity) > 0.01;
  };
  // Data, or words marked as another language (the other language's name on its switch).
  const isData = (e) => !!e.closest('bdi, [dir="ltr"], [dir="auto"], [translate="no"], input, textarea, code, script, style')
    || (e.closest('[lang]')?.getAttribute('lang') ?? lang) !== lang;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const n = walker.currentNode;
    if (!n.textContent.trim() || !n.parentElement || !visible(n.parentElement)) continue;
    if (n.parentElement.closest('script, style, noscript, option, svg title')) continue;
    texts.push(n);
  }
  const clean = (s) => s.replace(/[\u2066-\u2069\u200e\u200f\u061c]/g, '');
  const overflow = [];
  const latin = [];
  const raw = [];
  const chars = new Map();
  for (const n of texts) {
    const el = n.parentElement;
    const text = clean(n.textContent).trim();
    // Overflow: the text's boxes beyond its element's box, or its element cut short.
    const range = document.createRange();
    range.selectNodeContents(n);
    const box = el.getBoundingClientRect();
    for (const r of range.getClientRects()) {
      if (r.width < 0.5) continue;
      if (r.right > box.right + 1.5 || r.left < box.left - 1.5) {
        overflow.push(`"${text.slice(0, 40)}" runs out of its ${el.tagName.toLowerCase()} (${Math.round(r.left)}..${Math.round(r.right)} in ${Math.round(box.left)}..${Math.round(box.right)})`);
        break;
      }
    }
    const s = getComputedStyle(el);
    if ((s.overflowX !== 'visible' || s.textOverflow === 'ellipsis') && el.scrollWidth > el.clientWidth + 1
      && el.tagName !== 'TEXTAREA') {
      overflow.push(`"${text.slice(0, 40)}" is cut in its ${el.tagName.toLowerCase()} (${el.scrollWidth} px in ${el.clientWidth})`);
    }
    if (lang === 'ar' && !isData(el)) {
      // A message's placeables (Fluent isolates each between FSI and PDI) are data: a name,
      // a reference, a username.
      const words = n.textContent.replace(/[\u2066-\u2068][^\u2069]*\u2069/g, '').match(/[A-Za-z]{2,}/g);
      if (words) latin.push(`"${words.join(' ')}" in "${text.slice(0, 50)}"`);
    }
    if (keySet.has(text) || text.split(/\s+/).some((w) => keySet.has(w.replace(/[.,:;!?()]/g, '')) && /-/.test(w))) {
      raw.push(`"${text.slice(0, 50)}"`);
    }
    if (/\{\s*\$|\$[a-z_]+\b/.test(text)) raw.push(`an unfilled placeable in "${text.slice(0, 50)}"`);
    const font = `${s.fontStyle} ${s.fontWeight} 32px ${s.fontFamily}`;
    for (const ch of text) {
      if (/\s|\p{Cf}/u.test(ch)) continue;
      if (!chars.has(font)) chars.set(font, new Set());
      chars.get(font).add(ch);
    }
  }
  // Attributes people read too.
  for (const e of document.querySelectorAll('[title], [placeholder], [aria-label], [alt]')) {
    for (const a of ['title', 'placeholder', 'aria-label', 'alt']) {
      const v = (e.getAttribute(a) || '').trim();
      if (v && keySet.has(v)) raw.push(`${a}="${v}"`);
    }
  }
  // An empty box: a character drawn exactly like one that no font has (U+0378 is unassigned).
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const draw = (font, ch) => {
    g.clearRect(0, 0, 48, 48);
    g.font = font;
    g.fillStyle = '#000';
    g.textBaseline = 'middle';
    g.fillText(ch, 4, 24);
    return `${Math.round(g.measureText(ch).width * 10)}:${g.getImageData(0, 0, 48, 48).data.join(',')}`;
  };
  const boxes = [];
  for (const [font, set] of chars) {
    const tofu = draw(font, '\u0378');
    // The check itself must see an empty box where there is one, and letters where they are.
    if (draw(font, '\u0379') !== tofu || draw(font, 'ب') === tofu) {
      problems.push(`the empty-box check does not work with the font ${font}`);
      continue;
    }
    for (const ch of set) {
      if (draw(font, ch) === tofu) boxes.push(`U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')} "${ch}"`);
    }
  }
  if (overflow.length) problems.push(`text overflows: ${overflow.slice(0, 6).join(' | ')}`);
  if (latin.length) problems.push(`Latin words in the Arabic UI that are not data: ${[...new Set(latin)].slice(0, 8).join(' | ')}`);
  if (raw.length) problems.push(`raw message keys: ${[...new Set(raw)].slice(0, 8).join(' | ')}`);
  if (boxes.length) problems.push(`characters drawn as empty boxes: ${[...new Set(boxes)].join(' ')}`);
  return problems;
}, { lang, keys });

/** Every message id of the Fluent files in `dir` (ar.ftl, en.ftl). */
export const messageKeys = async (dir) => {
  const { readFileSync } = await import('node:fs');
  const keys = new Set();
  for (const f of ['ar.ftl', 'en.ftl']) {
    for (const line of readFileSync(`${dir}/${f}`, 'utf8').split('\n')) {
      const m = line.match(/^([a-z][a-z0-9-]*)\s*=/);
      if (m) keys.add(m[1]);
    }
  }
  return [...keys];
};
