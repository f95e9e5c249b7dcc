// Walking the page: swaps the targets in its text, links and chosen attributes, now and whenever
// the page changes, and never touches what belongs to the visitor or what the site opted out.
import { safe } from './guard.client.js';
import { applyEdits, findEdits, rewriteLink, toTargets } from './phone-text.client.js';

// Text there is either not shown as text, belongs to the visitor, or the site opted out.
var SKIP =
  'head,script,style,noscript,textarea,input,select,template,[contenteditable],[data-leadline-ignore]';
// A number is never split across these, so text is joined only between their boundaries.
var BLOCK =
  /^(ADDRESS|ARTICLE|ASIDE|BLOCKQUOTE|BODY|BR|CAPTION|DD|DETAILS|DIALOG|DIV|DL|DT|FIELDSET|FIGCAPTION|FIGURE|FOOTER|FORM|H[1-6]|HEADER|HR|HTML|LI|MAIN|NAV|OL|P|PRE|SECTION|SUMMARY|TABLE|TBODY|TD|TFOOT|TH|THEAD|TR|UL)$/;

function blockOf(el) {
  while (el.parentElement && !BLOCK.test(el.tagName)) el = el.parentElement;
  return el;
}

/** The page swapper for one script tag; `attrs` are the extra attributes it may rewrite. */
export function createPageSwap(attrs) {
  var d = document;
  var cfg = null;
  var shown = []; // numbers this page has displayed: a changed assignment must replace them too
  var obs = null;

  function swapAttributes(el) {
    var href = el.getAttribute('href');
    if (href && /^\s*(tel|sms):/i.test(href)) {
      var h = rewriteLink(href, cfg);
      if (h !== href) el.setAttribute('href', h);
    }
    for (var i = 0; i < attrs.length; i++) {
      var v = el.getAttribute(attrs[i]);
      var ed = v && findEdits(v, cfg);
      if (ed) el.setAttribute(attrs[i], applyEdits(v, ed, 0));
    }
  }

  // Joins the text nodes of each block so a number split across inline elements is found,
  // then writes the new digits back into the nodes that held the old ones.
  function scan(root) {
    if (!cfg || !cfg.t.length || !root || !d.documentElement.contains(root)) return;
    var up = root.parentElement;
    if (up && up.closest(SKIP)) return;
    var runs = [];
    var cur = null;
    (function visit(node) {
      if (node.nodeType === 3) {
        if (!cur) runs.push((cur = { nodes: [], text: '' }));
        cur.nodes.push(node);
        cur.text += node.nodeValue;
        return;
      }
      if (node.nodeType !== 1) return;
      if (node.matches(SKIP)) {
        cur = null;
        return;
      }
      swapAttributes(node);
      var block = BLOCK.test(node.tagName);
      if (block) cur = null;
      for (var c = node.firstChild; c; c = c.nextSibling) visit(c);
      if (block) cur = null;
    })(root);
    for (var r = 0; r < runs.length; r++) {
      var ed = findEdits(runs[r].text, cfg);
      if (!ed) continue;
      for (var i = 0, off = 0; i < runs[r].nodes.length; i++) {
        var node = runs[r].nodes[i];
        var v = node.nodeValue;
        var nv = applyEdits(v, ed, off);
        if (nv !== v) node.nodeValue = nv;
        off += v.length;
      }
    }
  }

  function observe() {
    obs.observe(d.documentElement, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['href'].concat(attrs),
    });
  }

  // Our own writes happen while disconnected, so the observer never reacts to them; even if
  // it did, a second pass finds nothing left to change.
  function quietly(fn) {
    if (obs) {
      obs.takeRecords();
      obs.disconnect();
    }
    try {
      fn();
    } finally {
      if (obs) observe();
    }
  }

  function onMutations(records) {
    var roots = [];
    for (var i = 0; i < records.length && roots.length <= 50; i++) {
      var rec = records[i];
      var el = rec.target.nodeType === 1 ? rec.target : rec.target.parentElement;
      // Changes in the head, in skipped areas or in detached nodes can hold nothing to swap.
      if (!el || el.closest(SKIP)) continue;
      if (rec.type === 'attributes') {
        swapAttributes(el);
        continue;
      }
      var blocks = [];
      var inline = rec.type === 'characterData';
      for (var a = 0; a < rec.addedNodes.length; a++) {
        var node = rec.addedNodes[a];
        if (node.nodeType === 3) inline = true;
        else if (node.nodeType !== 1 || node.matches(SKIP)) continue;
        else if (BLOCK.test(node.tagName)) blocks.push(node);
        else inline = true;
      }
      // Inline content may complete a number with its neighbours, so its whole block is read
      // again; an added block stands alone.
      if (inline) roots.push(blockOf(el));
      else roots = roots.concat(blocks);
    }
    // Past a few dozen changed places one pass over the page is cheaper than many.
    if (roots.length > 50) roots = [d.documentElement];
    for (i = 0; i < roots.length; i++) {
      var covered = false;
      for (var o = 0; o < roots.length && !covered; o++) {
        covered = o !== i && roots[o].contains(roots[i]) && (roots[o] !== roots[i] || o < i);
      }
      if (!covered) scan(roots[i]);
    }
  }

  /** Shows `number` in place of the targets (and of any number shown before), from now on. */
  function use(number, targets) {
    var list = targets.slice();
    for (var i = 0; i < shown.length; i++) if (shown[i] !== number.e164) list.push(shown[i]);
    if (shown.indexOf(number.e164) < 0) shown.push(number.e164);
    var next = { to: number, t: toTargets(list) };
    if (cfg && JSON.stringify(cfg) === JSON.stringify(next)) return;
    cfg = next;
    quietly(function () {
      scan(d.documentElement);
    });
    if (!obs && window.MutationObserver) {
      obs = new MutationObserver(
        safe(function (records) {
          quietly(function () {
            onMutations(records);
          });
        }),
      );
      observe();
    }
  }

  return { use: use };
}
