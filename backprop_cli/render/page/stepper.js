/* backprop's step-by-step view: the graph as the lecture draws it (laid out by dagre) beside
   the SSA list, stepping through the forward pass node by node, then the backward pass one
   adjoint update w̄ᵢ += w̄ⱼ·∂wⱼ/∂wᵢ at a time. Everything it shows is in the JSON document
   inside the page (render/html.py writes it); user text only ever goes in as textContent.
   A root .bp-root holds the document in script.bp-data; data-tables="0" leaves the tables
   to the page around it (Jupyter), data-keys="page" listens to the whole page's keys. */
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';  // a namespace name, never fetched
  var MAX_GRAPH = 2000;  // nodes drawn; past that the tables alone

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function num(x) { return x === undefined || x === null ? '' : JSON.stringify(x); }

  function boot(root) {
    if (root.getAttribute('data-booted')) return;
    root.setAttribute('data-booted', '1');
    var data = JSON.parse(root.querySelector('script.bp-data').textContent);
    var trace = data.trace;  // what --json prints: the numbers in full (null on a worksheet)
    var withTables = root.getAttribute('data-tables') !== '0';
    var steps = data.steps, nodes = data.nodes, edges = data.edges;
    var cur = 0, shown = {};  // shown: the elements highlighted now
    var ui = {rows: [], valueCells: [], adjCells: [], updRows: [], gNodes: [], gValues: [],
              gAdjs: [], gEdges: [], gEdgeValues: []};

    // the total each update replaces: what a step back restores
    var before = [], lastTotal = {};
    steps.forEach(function (s, k) {
      if (s.kind === 'forward') return;
      before[k] = lastTotal[s.node] === undefined ? null : lastTotal[s.node];
      lastTotal[s.node] = k;
    });

    // --- the frame ------------------------------------------------------------------
    var head = el('div', 'bp-head');
    head.appendChild(el('span', 'bp-brand', 'backprop '));
    head.appendChild(el('code', 'bp-source', data.title));
    if (data.point) head.appendChild(el('span', 'bp-point', '  at ' + data.point));
    root.appendChild(head);

    var bar = el('div', 'bp-controls');
    function button(label, title, act) {
      var b = el('button', 'bp-' + act, label);
      b.type = 'button'; b.title = title;
      bar.appendChild(b);
      return b;
    }
    var bStart = button('« Start', 'back to the start (Home)', 'start');
    var bBack = button('◀ Back', 'one step back (←)', 'back');
    var bNext = button('Next ▶', 'one step on (→)', 'next');
    var bAll = button('Show all', 'every step at once (End)', 'all');
    var hide = el('label', 'bp-hide-toggle');
    var box = el('input'); box.type = 'checkbox'; box.className = 'bp-hide-box';
    hide.appendChild(box); hide.appendChild(document.createTextNode(' hide answers'));
    bar.appendChild(hide);
    var count = el('span', 'bp-count');
    bar.appendChild(count);
    root.appendChild(bar);
    if (data.blank) { box.checked = true; box.disabled = true; root.classList.add('bp-hide'); }
    box.addEventListener('change', function () { root.classList.toggle('bp-hide', box.checked); });

    var now = el('div', 'bp-now');
    var nowPhase = el('div', 'bp-phase'), nowRule = el('div', 'bp-rule'),
        nowWork = el('div', 'bp-work ans'), nowTotal = el('div', 'bp-total ans');
    [nowPhase, nowRule, nowWork, nowTotal].forEach(function (e) { now.appendChild(e); });
    root.appendChild(now);

    var main = el('div', 'bp-main');
    var graphBox = el('div', 'bp-graph');
    main.appendChild(graphBox);
    var tablesBox = el('div', 'bp-tables');
    if (withTables) main.appendChild(tablesBox);
    root.appendChild(main);

    // --- the tables -----------------------------------------------------------------
    function table(title, columns, cls) {
      var wrap = el('div', 'bp-table ' + cls);
      wrap.appendChild(el('div', 'bp-table-title', title));
      var t = el('table'), tr = el('tr');
      columns.forEach(function (c) { tr.appendChild(el('th', null, c)); });
      var thead = el('thead'); thead.appendChild(tr); t.appendChild(thead);
      var body = el('tbody'); t.appendChild(body);
      wrap.appendChild(t);
      tablesBox.appendChild(wrap);
      return body;
    }
    function cell(tr, text, cls) { var td = el('td', cls, text); tr.appendChild(td); return td; }

    if (withTables && nodes.length) {
      var tensor = nodes.some(function (n) { return n.shape !== null; });
      var ssa = table('The SSA list: forward values and adjoints',
                      ['node', 'name', 'definition'].concat(tensor ? ['shape'] : [])
                        .concat(['value', 'adjoint']), 'bp-ssa');
      nodes.forEach(function (n, i) {
        var tr = el('tr');
        tr.setAttribute('data-node', n.id);
        cell(tr, n.id, 'bp-id');
        cell(tr, n.names.join(', '));
        cell(tr, n.definition);
        if (tensor) cell(tr, n.shape);
        var v = cell(tr, '', 'bp-num ans bp-value');
        var a = cell(tr, '', 'bp-num ans bp-adjoint');
        if (trace) {
          v.setAttribute('data-num', num(trace.nodes[i].value));
          a.setAttribute('data-num', num(trace.nodes[i].adjoint));
        }
        ui.rows[i] = tr; ui.valueCells[i] = v; ui.adjCells[i] = a;
        ssa.appendChild(tr);
      });
      var back = steps.filter(function (s) { return s.kind !== 'forward'; });
      if (back.length) {
        var upd = table('The backward pass, one adjoint update at a time',
                        ['step', 'update', 'formula', 'adds', 'adjoint now'], 'bp-updates');
        steps.forEach(function (s, k) {
          if (s.kind === 'forward') return;
          var tr = el('tr', 'bp-pending');
          tr.setAttribute('data-step', String(k + 1));
          cell(tr, String(k + 1), 'bp-id');
          cell(tr, s.rule);
          cell(tr, s.formula, 'ans');
          cell(tr, s.value, 'bp-num ans').setAttribute('data-num', num(s.num_value));
          cell(tr, s.total, 'bp-num ans').setAttribute('data-num', num(s.num_total));
          ui.updRows[k] = tr;
          upd.appendChild(tr);
        });
      }
    }

    var foot = el('div', 'bp-foot');
    if (data.output) foot.appendChild(el('div', 'bp-output ans-line', data.output));
    if (data.note) foot.appendChild(el('div', 'bp-note', data.note));
    if (withTables) (data.tables || []).forEach(function (t) {  // gradient, Hessian, …
      var w = el('div', 'bp-table bp-more');
      w.appendChild(el('div', 'bp-table-title', t.title));
      var tt = el('table'), th = el('tr');
      t.columns.forEach(function (c) { th.appendChild(el('th', null, c)); });
      tt.appendChild(th);
      t.rows.forEach(function (r) {
        var tr = el('tr');
        r.forEach(function (c, k) { cell(tr, c, t.numeric[k] || k === r.length - 1 ? 'bp-num ans' : null); });
        tt.appendChild(tr);
      });
      w.appendChild(tt);
      foot.appendChild(w);
    });
    if (withTables && data.modes) foot.appendChild(el('div', 'bp-note ans-line', data.modes));
    (data.warnings || []).forEach(function (w) { foot.appendChild(el('div', 'bp-warning', 'warning: ' + w)); });
    foot.appendChild(el('div', 'bp-credits', 'Graph laid out by dagre (MIT license, bundled in this page).'));
    root.appendChild(foot);

    // --- the graph ------------------------------------------------------------------
    var ctx = document.createElement('canvas').getContext('2d');
    function width(text, font) { ctx.font = font; return ctx.measureText(text).width; }
    var FONT = '13px system-ui, sans-serif', SMALL = '12px system-ui, sans-serif';
    var BOX = 40, ADJ = 16;  // a node's box, and the line under it for its adjoint

    function drawGraph(layout) {
      var W = layout.width + 40, H = layout.height + 40;
      var s = svg('svg', {width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, 'class': 'bp-svg'});
      s.appendChild(svg('defs', {})).appendChild(marker());
      var gE = svg('g', {'class': 'bp-edges'}), gN = svg('g', {'class': 'bp-nodes'});
      s.appendChild(gE); s.appendChild(gN);
      edges.forEach(function (e, k) {
        var L = layout.edges[k], pts = L.points;
        var d = 'M' + pts.map(function (p) { return (p.x + 20) + ',' + (p.y + 20); }).join('L');
        var g = svg('g', {'class': 'bp-edge', 'data-edge': String(k)});
        g.appendChild(svg('path', {d: d, 'marker-end': 'url(#bp-arrow)'}));
        var t = svg('text', {x: L.x + 20, y: L.y + 20 - 3, 'text-anchor': 'middle', 'class': 'bp-edge-name'}, e.name);
        var v = svg('text', {x: L.x + 20, y: L.y + 20 + 10, 'text-anchor': 'middle', 'class': 'bp-edge-value ans'});
        if (trace) v.setAttribute('data-num', num(trace.partials[k].value));
        g.appendChild(t); g.appendChild(v);
        gE.appendChild(g);
        ui.gEdges[k] = g; ui.gEdgeValues[k] = v;
      });
      nodes.forEach(function (n, i) {
        var L = layout.nodes[i], x = L.x + 20 - L.width / 2, y = L.y + 20 - BOX / 2 - ADJ / 2;
        var g = svg('g', {'class': 'bp-node' + (n.input ? ' bp-input' : '') + (n.output ? ' bp-out' : '') +
                               (n.untaken ? ' bp-untaken' : ''), 'data-node': n.id});
        if (n.call) g.appendChild(svg('title', {}, 'made by the call ' + n.call));
        g.appendChild(svg('rect', {x: x, y: y, width: L.width, height: BOX,
                                   rx: n.input ? BOX / 2 : 6}));
        if (n.output) g.appendChild(svg('rect', {x: x - 3, y: y - 3, width: L.width + 6,
                                                  height: BOX + 6, rx: 8, 'class': 'bp-ring'}));
        g.appendChild(svg('text', {x: L.x + 20, y: y + 16, 'text-anchor': 'middle'}, n.label));
        var v = svg('text', {x: L.x + 20, y: y + 32, 'text-anchor': 'middle', 'class': 'bp-node-value ans'});
        var a = svg('text', {x: L.x + 20, y: y + BOX + ADJ - 2, 'text-anchor': 'middle',
                             'class': 'bp-node-adjoint ans'});
        g.appendChild(v); g.appendChild(a);
        gN.appendChild(g);
        ui.gNodes[i] = g; ui.gValues[i] = v; ui.gAdjs[i] = a;
      });
      graphBox.textContent = '';
      graphBox.appendChild(s);
      // as wide as the graph: the tables go beside it where there is room, else under it
      graphBox.style.flex = '0 1 ' + Math.min(W + 4, main.clientWidth) + 'px';
      var fit = (graphBox.clientWidth - 4) / W;  // shrink a wide graph, if it stays legible
      if (fit < 1 && fit >= 0.7) { s.setAttribute('width', W * fit); s.setAttribute('height', H * fit); }
      var k = cur; cur = 0; go(k, true);  // what the steps so far show, on the new drawing
    }
    function marker() {
      var m = svg('marker', {id: 'bp-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
                             markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'});
      m.appendChild(svg('path', {d: 'M0,0L10,5L0,10z', 'class': 'bp-arrowhead'}));
      return m;
    }

    function layoutGraph() {
      if (!nodes.length) { graphBox.textContent = ''; return; }
      if (nodes.length > MAX_GRAPH) {
        graphBox.textContent = 'The graph has ' + nodes.length + ' nodes, more than ' + MAX_GRAPH +
          ' drawn here: the tables list every node.';
        return;
      }
      var job = {
        nodes: nodes.map(function (n) {
          return {width: Math.max(width(n.label, FONT), width('= ' + n.value, FONT),
                                  width(n.bar + ' = ' + n.adjoint, SMALL)) + 20,
                  height: BOX + ADJ};
        }),
        edges: edges.map(function (e) {
          return {source: e.source, target: e.target,
                  width: Math.max(width(e.name, SMALL), width(e.label, SMALL)) + 8, height: 26};
        })
      };
      graphBox.textContent = 'Laying out the graph of ' + nodes.length + ' nodes…';
      var source = document.querySelector('script.bp-dagre');
      var worker = null;
      try {  // off the page's thread: a big graph takes seconds, and the page stays live
        var blob = new Blob([source.textContent, '\n;(' + layOut.toString() + ')(self);'],
                            {type: 'text/javascript'});
        worker = new Worker(URL.createObjectURL(blob));
      } catch (err) { worker = null; }
      if (worker) {
        worker.onmessage = function (m) { drawGraph(m.data); worker.terminate(); };
        worker.onerror = function (ev) { ev.preventDefault(); worker = null; here(); };
        worker.postMessage(job);
      } else {
        here();
      }
      function here() { setTimeout(function () { drawGraph(layOutNow(window.dagre, job)); }, 0); }
    }

    // --- stepping -------------------------------------------------------------------
    function apply(k, on) {  // step k (0-based) done (on) or undone
      var s = steps[k];
      if (s.kind === 'forward') {
        var i = s.node;
        set(ui.valueCells[i], on ? s.value : '');
        set(ui.gValues[i], on ? '= ' + s.value : '');
        if (ui.rows[i]) ui.rows[i].classList.toggle('bp-done', on);
        if (ui.gNodes[i]) ui.gNodes[i].classList.toggle('bp-done', on);
        return;
      }
      var b = on ? k : before[k];
      var total = b === null ? '' : steps[b].total;
      var complete = b !== null && steps[b].last;
      set(ui.adjCells[s.node], total);
      if (ui.adjCells[s.node]) ui.adjCells[s.node].classList.toggle('bp-partial', !complete);
      set(ui.gAdjs[s.node], b === null ? '' : nodes[s.node].bar + ' = ' + total);
      if (ui.updRows[k]) ui.updRows[k].classList.toggle('bp-pending', !on);
      if (s.kind === 'update') {
        set(ui.gEdgeValues[s.edge], on ? edges[s.edge].label : '');
        if (ui.gEdges[s.edge]) ui.gEdges[s.edge].classList.toggle('bp-done', on);
      }
    }
    function set(e, text) { if (e) e.textContent = text; }

    function mark(e, cls) { if (e) { e.classList.add(cls); (shown[cls] = shown[cls] || []).push(e); } }
    function highlight() {
      for (var c in shown) shown[c].forEach(function (e) { e.classList.remove(c); });
      shown = {};
      var s = steps[cur - 1];
      count.textContent = 'step ' + cur + ' of ' + steps.length;
      bStart.disabled = bBack.disabled = cur === 0;
      bNext.disabled = bAll.disabled = cur === steps.length;
      if (!s) {
        nowPhase.textContent = steps.length ? 'Press Next ▶ or → to start the forward pass.' : '';
        nowRule.textContent = nowWork.textContent = nowTotal.textContent = '';
        return;
      }
      var forward = s.kind === 'forward';
      var n = forward ? data.forward_steps : steps.length - data.forward_steps;
      var at = forward ? cur : cur - data.forward_steps;
      nowPhase.textContent = (forward ? 'Forward pass, node ' : 'Backward pass, step ') + at + ' of ' + n;
      nowRule.textContent = s.rule;
      if (forward) {
        nowWork.textContent = '= ' + s.value;
        nowTotal.textContent = '';
        mark(ui.rows[s.node], 'bp-current'); mark(ui.gNodes[s.node], 'bp-current');
      } else {
        nowWork.textContent = s.kind === 'seed' ? '= ' + s.value :
          '= ' + s.formula + (s.numbers ? ' = ' + s.numbers : '') + ' = ' + s.value;
        nowTotal.textContent = nodes[s.node].bar + ' = ' + s.total +
          (s.last ? '  (complete)' : '  (so far)');
        mark(ui.updRows[cur - 1], 'bp-current'); mark(ui.rows[s.node], 'bp-current');
        mark(ui.gNodes[s.node], 'bp-current');
        if (s.kind === 'update') {
          mark(ui.gEdges[s.edge], 'bp-current');
          mark(ui.gNodes[edges[s.edge].target], 'bp-from');
        }
      }
      nowWork.setAttribute('data-num', num(s.num_value));
      nowTotal.setAttribute('data-num', s.kind === 'forward' ? '' : num(s.num_total));
      (shown['bp-current'] || []).forEach(function (e) {
        if (e.scrollIntoView) e.scrollIntoView({block: 'nearest', inline: 'nearest'});
      });
    }
    function go(k, redraw) {
      k = Math.max(0, Math.min(steps.length, k));
      if (redraw) { for (var r = 0; r < k; r++) apply(r, true); cur = k; }
      while (cur < k) apply(cur++, true);
      while (cur > k) apply(--cur, false);
      highlight();
      root.setAttribute('data-step', String(cur));
      root.classList.toggle('bp-finished', cur === steps.length);
    }

    bStart.addEventListener('click', function () { go(0); });
    bBack.addEventListener('click', function () { go(cur - 1); });
    bNext.addEventListener('click', function () { go(cur + 1); });
    bAll.addEventListener('click', function () { go(steps.length); });
    var keys = root.getAttribute('data-keys') === 'page' ? document : root;
    if (keys === root) root.tabIndex = 0;
    keys.addEventListener('keydown', function (ev) {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var to = {ArrowRight: cur + 1, ArrowDown: cur + 1, ArrowLeft: cur - 1, ArrowUp: cur - 1,
                Home: 0, End: steps.length}[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      go(to);
    });
    go(0);
    layoutGraph();
  }

  // Runs in the worker (after dagre's own script) and, where workers are not to be had, here.
  function layOut(scope) {
    scope.onmessage = function (m) { scope.postMessage(layOutNow(scope.dagre, m.data)); };
    function layOutNow(dagre, job) {
      var g = new dagre.graphlib.Graph();
      g.setGraph({rankdir: 'LR', nodesep: 18, ranksep: 36, edgesep: 10});
      g.setDefaultEdgeLabel(function () { return {}; });
      job.nodes.forEach(function (n, i) { g.setNode(String(i), {width: n.width, height: n.height}); });
      job.edges.forEach(function (e) {
        g.setEdge(String(e.source), String(e.target), {width: e.width, height: e.height, labelpos: 'c'});
      });
      dagre.layout(g);
      return {width: g.graph().width, height: g.graph().height,
              nodes: job.nodes.map(function (n, i) { var v = g.node(String(i));
                return {x: v.x, y: v.y, width: v.width, height: v.height}; }),
              edges: job.edges.map(function (e) { var v = g.edge(String(e.source), String(e.target));
                return {x: v.x, y: v.y, points: v.points}; })};
    }
    scope.layOutNow = layOutNow;
  }
  var layOutNow = (function () { var s = {}; layOut(s); return s.layOutNow; })();

  function bootAll() {
    var roots = document.querySelectorAll('.bp-root');
    for (var k = 0; k < roots.length; k++) boot(roots[k]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', bootAll);
  else bootAll();
})();
